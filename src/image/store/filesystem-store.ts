/**
 * Image data as files in one directory (glance_store's `filesystem` store):
 * `<dir>/<key>`, location `file://<dir>/<key>`. An upload goes to a hidden
 * `.<key>.<random>.partial` file (0600) and is published by a hard link once
 * hashed, complete and fsynced, so a reader never sees half an image and a
 * failed upload leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { link, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { KumoError } from '../../lib/errors.js';
import { HashWorker } from './hash-worker.js';
import { writeHashed } from './hashing-writer.js';
import type { AddOptions, ImageDataStore, StoredImageData } from './image-data-store.js';

export interface FilesystemStoreConfig {
  /** Created 0700 when missing. */
  dir: string;
  /** Compute sha512 in a worker thread beside md5 (default true): ~1.5x upload throughput on 2 cores. */
  parallelHashing?: boolean;
  /**
   * `.partial` files not written to for this long are leftovers of a process
   * that died mid-upload, removed when the store opens (default one day).
   * Age, not ownership, decides: other processes may share the directory.
   */
  staleAfterMs?: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** Image ids and similar: no separators, no dot-only names, nothing hidden. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const SCHEME = 'file://';

export class FilesystemStore implements ImageDataStore {
  readonly #dir: string;
  readonly #sha512Worker: HashWorker | undefined;

  constructor(config: FilesystemStoreConfig) {
    this.#dir = resolve(config.dir);
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#sha512Worker = config.parallelHashing === false ? undefined : new HashWorker('sha512');
    sweepStalePartials(this.#dir, config.staleAfterMs ?? DAY_MS);
  }

  async add(key: string, data: Readable, opts: AddOptions): Promise<StoredImageData> {
    checkKey(key);
    const path = join(this.#dir, key);
    const partial = join(this.#dir, `.${key}.${randomBytes(6).toString('hex')}.partial`);
    let fh: FileHandle | undefined;
    let published = false;
    try {
      fh = await open(partial, 'wx', 0o600);
      const written = await writeHashed(data, fh, { ...opts, sha512Worker: this.#sha512Worker });
      await fh.sync();
      await fh.close();
      fh = undefined;
      // link() refuses to replace existing data, unlike rename().
      await link(partial, path).catch((e: unknown) => {
        if (errnoCode(e) === 'EEXIST') throw new KumoError('image_data_exists', 409, `Image data for ${key} already exists.`);
        throw e;
      });
      published = true;
      await rm(partial);
      await syncDir(this.#dir);
      return { location: SCHEME + path, size: written.size, checksum: written.md5, hashValue: written.sha512 };
    } catch (e) {
      await fh?.close().catch(() => undefined);
      await rm(partial, { force: true });
      if (published) await rm(path, { force: true });
      throw storageError(e);
    }
  }

  async get(location: string, range?: { start: number; end: number }): Promise<Readable> {
    const path = this.#pathOf(location);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw dataNotFound(location);
      throw storageError(e);
    }
    return fh.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(location: string): Promise<void> {
    await rm(this.#pathOf(location), { force: true });
  }

  /** The file behind a location of this store; undefined for anybody else's location. */
  localPath(location: string): string | undefined {
    try {
      return this.#pathOf(location);
    } catch {
      return undefined;
    }
  }

  /** Stops the hashing thread (it is unreferenced while idle, so this is optional). */
  async close(): Promise<void> {
    await this.#sha512Worker?.close();
  }

  #pathOf(location: string): string {
    const path = location.startsWith(SCHEME) ? resolve(location.slice(SCHEME.length)) : '';
    const key = path.slice(this.#dir.length + 1);
    if (dirname(path) !== this.#dir || !KEY.test(key) || key.includes('..')) {
      throw new KumoError('image_location_invalid', 500, `Image location ${location} is not in this store.`);
    }
    return path;
  }
}

function checkKey(key: string): void {
  if (!KEY.test(key) || key.includes('..')) throw new KumoError('image_key_invalid', 400, `Invalid image data key: ${JSON.stringify(key)}`);
}

/**
 * Glance answers 204 No Content when the store lost the data; this is a 404
 * for callers that surface it as an error.
 */
const dataNotFound = (location: string): KumoError => new KumoError('image_data_not_found', 404, `Image data not found at ${location}.`);

/** glance_store's StorageFull / StorageWriteDenied, as Glance reports them. */
function storageError(e: unknown): unknown {
  switch (errnoCode(e)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new KumoError('storage_full', 413, 'Image storage media is full: There is not enough disk space on the image storage media.');
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new KumoError('storage_write_denied', 503, `Insufficient permissions on image storage media: ${(e as Error).message}`);
    default:
      return e;
  }
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** Makes the new directory entry durable, not only the file's data. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Removes `.partial` files nobody has written to for `staleAfterMs`; a file another process removes first is no error. */
function sweepStalePartials(dir: string, staleAfterMs: number): void {
  const cutoff = Date.now() - staleAfterMs;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('.') || !name.endsWith('.partial')) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
    } catch {
      // Gone already: published or swept by another process.
    }
  }
}
