import type { MetadefDB } from './metadef-schema.js';

/**
 * Tables of the image service. Booleans are integers (0/1), times ISO-8601
 * text, as in every Kumo service, so one schema behaves the same on SQLite,
 * MariaDB and PostgreSQL. Deleted images keep their row (status `deleted`)
 * so an id is never reused, as Glance does.
 */
export interface ImageRow {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  protected: number;
  os_hidden: number;
  owner: string | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  size: number | null;
  virtual_size: number | null;
  min_disk: number;
  min_ram: number;
  disk_format: string | null;
  container_format: string | null;
  /** Where the store keeps the data (`file:///...`); null until uploaded. */
  location: string | null;
  /** Bytes held in staging by a `glance-direct` import, for the stage quota. */
  staged_size: number | null;
  /** Where staged data waits for its import. */
  staged_location: string | null;
  created_at: string;
  updated_at: string;
  deleted: number;
  deleted_at: string | null;
}

export interface ImagePropertyRow {
  image_id: string;
  name: string;
  value: string;
}

export interface ImageTagRow {
  image_id: string;
  value: string;
}

export interface ImageMemberRow {
  image_id: string;
  member: string;
  status: string;
  created_at: string;
  updated_at: string;
}

/** One external location of an image, in `position` order; `metadata` is JSON. */
export interface ImageLocationRow {
  image_id: string;
  position: number;
  url: string;
  metadata: string;
}

export interface ImageDB extends MetadefDB {
  image_locations: ImageLocationRow;
  images: ImageRow;
  image_properties: ImagePropertyRow;
  image_tags: ImageTagRow;
  image_members: ImageMemberRow;
}
