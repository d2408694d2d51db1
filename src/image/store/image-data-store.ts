import type { Readable } from 'node:stream';

/** What the store knows of image data once it is written. */
export interface StoredImageData {
  /** Opaque to callers; the store resolves it (`file:///var/lib/kumo/images/<id>`). */
  location: string;
  size: number;
  /** md5, hex: Glance's `checksum`. */
  checksum: string;
  /** sha512, hex: Glance's `os_hash_value` (`os_hash_algo` = sha512). */
  hashValue: string;
}

/** Sees every chunk as it is written, before it reaches the disk; throws to abort the write. */
export type ChunkObserver = (chunk: Buffer) => void;

export interface AddOptions {
  /** Abort with `image_too_large` (413) once more than this many bytes arrive. */
  maxSize: number;
  /** When the client announced a length: fewer or more bytes is an error (400). */
  expectedSize?: number;
  /** E.g. the format inspector. */
  observe?: ChunkObserver;
}

/**
 * Where image bytes live. The filesystem store is the default; an
 * object-storage store implements the same interface. A write that fails for
 * any reason (client gone, size exceeded, disk full, observer veto) leaves
 * nothing behind: data becomes visible under its location only once complete.
 */
export interface ImageDataStore {
  /** Streams `data` under `key`, hashing md5 and sha512 on the way. */
  add(key: string, data: Readable, opts: AddOptions): Promise<StoredImageData>;
  /** Streams stored data, optionally the inclusive byte range [start, end]. */
  get(location: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes data; a missing location is not an error. */
  delete(location: string): Promise<void>;
  /** A local path for tools that need one (qemu-img), if this store has one. */
  localPath?(location: string): string | undefined;
}
