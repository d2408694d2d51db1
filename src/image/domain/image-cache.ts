import type { Readable } from 'node:stream';
import { badRequest } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { ImageDataStore } from '../store/image-data-store.js';
import type { ImageDataService } from './image-data-service.js';
import type { ImageService } from './image-service.js';
import type { Caller } from './models.js';

export interface CachedImage {
  imageId: string;
  size: number;
  location: string;
  cachedAt: Date;
  hits: number;
  lastAccessed: Date;
}

export interface ImageCacheDeps {
  images: ImageService;
  data: ImageDataService;
  /** This process's cache directory, emptied at start (Glance's cache is per node too). */
  store: ImageDataStore;
  /** How often queued images are fetched into the cache (Glance's `cache_prefetcher_interval`). */
  intervalMs: number;
  log: Logger;
}

/**
 * Glance's image cache management (API 2.14): admins queue images, a
 * periodic prefetcher copies their data into the local cache directory.
 * Queued images are fetched only once they have waited a full interval,
 * so a queue entry is visible before it turns into a cached image.
 */
export class ImageCache {
  readonly #queued = new Map<string, { caller: Caller; at: number }>();
  readonly #cached = new Map<string, CachedImage>();
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;

  constructor(private readonly deps: ImageCacheDeps) {
    this.#timer = setInterval(() => void this.prefetch(), deps.intervalMs);
    this.#timer.unref();
  }

  list(): { queued: string[]; cached: CachedImage[] } {
    return { queued: [...this.#queued.keys()], cached: [...this.#cached.values()] };
  }

  /** `PUT /v2/cache/{id}`: 404 for an unknown image, 400 unless it is active. */
  async queue(caller: Caller, id: string): Promise<void> {
    const image = await this.deps.images.get(caller, id);
    if (image.status !== 'active')
      throw badRequest(`Image ${id} is not active (status ${image.status}); only active images can be cached.`);
    if (!this.#cached.has(id) && !this.#queued.has(id)) this.#queued.set(id, { caller, at: Date.now() });
  }

  /** `DELETE /v2/cache/{id}`: from the cache and the queue. */
  async delete(caller: Caller, id: string): Promise<void> {
    await this.deps.images.get(caller, id);
    this.#queued.delete(id);
    await this.#evict(id);
  }

  /** `DELETE /v2/cache`, for `target` `cache`, `queue` or both (empty). */
  async clear(target: string): Promise<void> {
    if (!['', 'cache', 'queue'].includes(target)) {
      throw badRequest(`If provided, 'x-image-cache-clear-target' must be 'cache', 'queue' or empty, not '${target}'.`);
    }
    if (target !== 'cache') this.#queued.clear();
    if (target !== 'queue') for (const id of [...this.#cached.keys()]) await this.#evict(id);
  }

  /** One prefetcher run (serialised); exposed so tests need not wait for the timer. */
  prefetch(minAgeMs = this.deps.intervalMs): Promise<void> {
    this.#running ??= this.#fetchDue(minAgeMs).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #fetchDue(minAgeMs: number): Promise<void> {
    const now = Date.now();
    for (const [id, q] of [...this.#queued]) {
      if (now - q.at < minAgeMs) continue;
      this.#queued.delete(id);
      try {
        const d = await this.deps.data.download(q.caller, id);
        if (!d) continue;
        const stored = await this.deps.store.add(id, d.stream, { maxSize: d.size, expectedSize: d.size });
        const at = new Date();
        this.#cached.set(id, { imageId: id, size: stored.size, location: stored.location, cachedAt: at, hits: 0, lastAccessed: at });
      } catch (e) {
        this.deps.log.warn({ err: e, imageId: id }, 'caching image failed');
      }
    }
  }

  /** The cached data of an image (a hit), or undefined; a cache file gone missing is evicted. */
  async read(id: string, range?: { start: number; end: number }): Promise<Readable | undefined> {
    const c = this.#cached.get(id);
    if (!c) return undefined;
    try {
      const stream = await this.deps.store.get(c.location, range);
      c.hits++;
      c.lastAccessed = new Date();
      return stream;
    } catch {
      await this.#evict(id);
      return undefined;
    }
  }

  async #evict(id: string): Promise<void> {
    const c = this.#cached.get(id);
    if (!c) return;
    this.#cached.delete(id);
    await this.deps.store.delete(c.location);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
