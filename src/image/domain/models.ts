/** Glance's image formats (Zed), validated on create and update. */
export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];
export type ContainerFormat = (typeof CONTAINER_FORMATS)[number];

export const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/** Glance's image status machine (see image-status.ts). */
export type ImageStatus =
  'queued' | 'saving' | 'uploading' | 'importing' | 'active' | 'killed' | 'deactivated' | 'deleted' | 'pending_delete';

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  osHidden: boolean;
  owner: string | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  size: number | null;
  virtualSize: number | null;
  minDisk: number;
  minRam: number;
  diskFormat: DiskFormat | null;
  containerFormat: ContainerFormat | null;
  location: string | null;
  stagedSize: number | null;
  stagedLocation: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  tags: string[];
  /** Free-form properties, string values only (Glance's schema). */
  properties: Record<string, string>;
  /** What `locations` shows; set by the service only where the deployment shows locations. */
  locations?: ImageLocation[];
}

/** One location of an image's data, as Glance's locations API shows and takes it. */
export interface ImageLocation {
  url: string;
  metadata: Record<string, unknown>;
}

export interface ImageMember {
  imageId: string;
  memberId: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
}

/** Who is asking, as the image service needs it. */
export interface Caller {
  userId: string;
  /** Null for a token not scoped to a project (system or domain scope). */
  projectId: string | null;
  isAdmin: boolean;
  roles: string[];
}

/** Comparison operators of Glance list filters (`created_at=gte:2024-01-01T00:00:00Z`). */
export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';

export interface ImageListQuery {
  visibility?: Visibility | 'all';
  /** Default `accepted`; `all` for any. */
  memberStatus?: MemberStatus | 'all';
  osHidden?: boolean;
  /** Column filters, already mapped to row column names, each with its operator. */
  where: { column: string; op: FilterOp; values: (string | number)[] }[];
  tags: string[];
  properties: Record<string, string>;
  sort: { key: string; dir: 'asc' | 'desc' }[];
  limit: number;
  marker?: string;
}

/** Bases (schema) attributes of an image; any other key is an extra property. */
export const BASE_ATTRIBUTES = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'min_disk',
  'min_ram',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
  'tags',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
]);

/** Set by the service only (403 "Attribute 'x' is read-only."). */
export const READ_ONLY_ATTRIBUTES = new Set([
  'checksum',
  'created_at',
  'direct_url',
  'file',
  'os_hash_algo',
  'os_hash_value',
  'schema',
  'self',
  'size',
  'status',
  'updated_at',
  'virtual_size',
]);

/** Never settable (403 "Attribute 'x' is reserved."). */
export const RESERVED_ATTRIBUTES = new Set(['deleted', 'deleted_at', 'location', 'locations']);
