/**
 * Base images downloaded from the image service, one file per image id in
 * the cache dir. A download streams into `<id>.part` and is renamed only once
 * its size and MD5 match, so a crash never leaves a half image that looks
 * whole; concurrent builds of one image share a single download.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Opens the image data: the agent passes `GET {image}/v2/images/{id}/file`. */
export type ImageFetcher = (imageId: string) => Promise<Response>;

export interface CachedImage {
  path: string;
  size: number;
}

const IMAGE_ID = /^[0-9a-fA-F-]{1,64}$/;

export class ImageCache {
  readonly #dir: string;
  readonly #fetch: ImageFetcher;
  readonly #inflight = new Map<string, Promise<CachedImage>>();

  constructor(dir: string, fetcher: ImageFetcher) {
    this.#dir = dir;
    this.#fetch = fetcher;
  }

  pathOf(imageId: string): string {
    if (!IMAGE_ID.test(imageId)) throw new Error(`Invalid image id ${imageId}`);
    return join(this.#dir, imageId);
  }

  /** The cached file of `imageId`, downloaded first if needed. `expectedSize` is checked when > 0. */
  get(imageId: string, expectedSize = 0): Promise<CachedImage> {
    const path = this.pathOf(imageId);
    let p = this.#inflight.get(imageId);
    if (!p) {
      p = this.#ensure(imageId, path, expectedSize).finally(() => this.#inflight.delete(imageId));
      this.#inflight.set(imageId, p);
    }
    return p;
  }

  async #ensure(imageId: string, path: string, expectedSize: number): Promise<CachedImage> {
    const have = await stat(path).catch(() => undefined);
    if (have && (expectedSize <= 0 || have.size === expectedSize)) return { path, size: have.size };
    await mkdir(this.#dir, { recursive: true });
    const part = `${path}.part`;
    const res = await this.#fetch(imageId);
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      throw new Error(`Image ${imageId} download failed: HTTP ${res.status}`);
    }
    const md5 = createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        md5.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream), count, createWriteStream(part));
      const want = res.headers.get('content-md5');
      if (expectedSize > 0 && size !== expectedSize) throw new Error(`Image ${imageId}: got ${size} bytes, expected ${expectedSize}`);
      const got = md5.digest('hex');
      if (want && want.toLowerCase() !== got) throw new Error(`Image ${imageId}: checksum ${got} does not match ${want}`);
      await rename(part, path);
    } catch (e) {
      await rm(part, { force: true });
      throw e;
    }
    return { path, size };
  }

  /** Removes a cached image (e.g. after a failed validation). */
  async evict(imageId: string): Promise<void> {
    await rm(this.pathOf(imageId), { force: true });
  }
}
