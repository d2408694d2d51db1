import { isoSeconds } from '../../lib/time.js';
import type { Image, ImageMember } from '../domain/models.js';

const time = (t: string): string => isoSeconds(new Date(t));

/** An image as Glance v2 renders it: base attributes, then its free-form properties at the top level. */
export function imageView(i: Image): Record<string, unknown> {
  // `locations` is set only where the deployment shows them (show_multiple_locations); direct_url is the first.
  const locations =
    i.locations === undefined ? {} : { locations: i.locations, ...(i.locations[0] ? { direct_url: i.locations[0].url } : {}) };
  return {
    ...i.properties,
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: i.visibility,
    protected: i.protected,
    os_hidden: i.osHidden,
    checksum: i.checksum,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    owner: i.owner,
    size: i.size,
    virtual_size: i.virtualSize,
    min_ram: i.minRam,
    min_disk: i.minDisk,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    created_at: time(i.createdAt),
    updated_at: time(i.updatedAt),
    tags: i.tags,
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
    ...locations,
  };
}

export function memberView(m: ImageMember): Record<string, unknown> {
  return {
    created_at: time(m.createdAt),
    image_id: m.imageId,
    member_id: m.memberId,
    schema: '/v2/schemas/member',
    status: m.status,
    updated_at: time(m.updatedAt),
  };
}
