import type { Readable } from 'node:stream';
import { badRequest } from '../../lib/errors.js';
import { dbTime } from '../../lib/time.js';
import type { AddOptions, ImageDataStore, StoredImageData } from '../store/image-data-store.js';
import type { StoreCopy, StoreCopyStore } from '../store/store-copy-store.js';

/** One of several named stores (Glance `enabled_backends`). */
export interface NamedStore {
  id: string;
  type: 'file';
  data: ImageDataStore;
}

/** Store ids name directories beside `staging` and `cache`, so those are taken. */
const STORE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
const TAKEN = new Set(['staging', 'cache']);

/** `fast:file,slow:file` → `[{id:'fast',type:'file'}, …]`; empty → none (a single store). */
export function parseStoreList(spec: string): { id: string; type: 'file' }[] {
  const out: { id: string; type: 'file' }[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id = '', type = 'file', ...rest] = item.split(':');
    if (!STORE_ID.test(id) || TAKEN.has(id) || rest.length > 0) throw new Error(`image.stores: invalid store id in '${item}'`);
    if (type !== 'file') throw new Error(`image.stores: store '${id}' has type '${type}'; only 'file' is supported`);
    if (out.some((s) => s.id === id)) throw new Error(`image.stores: store '${id}' is listed twice`);
    out.push({ id, type });
  }
  return out;
}

/**
 * Several stores, and where each image's data lives among them. As an
 * ImageDataStore it is what the image service deletes through: deleting an
 * image's location deletes its copy in every store.
 */
export class ImageStoreSet implements ImageDataStore {
  readonly defaultStore: NamedStore;

  constructor(
    readonly stores: NamedStore[],
    defaultId: string,
    private readonly copies: StoreCopyStore,
  ) {
    const d = defaultId ? stores.find((s) => s.id === defaultId) : stores[0];
    if (!d) throw new Error(`image.default_store '${defaultId}' is not one of image.stores`);
    this.defaultStore = d;
  }

  /** The store named by a client (`X-Image-Meta-Store`, import `stores`); 400 when unknown. */
  pick(id: string | undefined): NamedStore {
    if (id === undefined) return this.defaultStore;
    const s = this.stores.find((x) => x.id === id);
    if (!s) throw badRequest(`Store for identifier ${id} not found`, 'unknown_store');
    return s;
  }

  /** Import targets: the named stores, every store, or the default one. */
  targets(ids: string[] | undefined, all: boolean): NamedStore[] {
    if (ids !== undefined && all) throw badRequest("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    if (all) return [...this.stores];
    if (ids === undefined) return [this.defaultStore];
    if (ids.length === 0) throw badRequest('stores: at least one store is required.');
    return [...new Set(ids)].map((id) => this.pick(id));
  }

  async copiesOf(imageIds: string[]): Promise<Map<string, StoreCopy[]>> {
    const out = new Map<string, StoreCopy[]>();
    for (const c of await this.copies.list(imageIds)) out.set(c.imageId, [...(out.get(c.imageId) ?? []), c]);
    return out;
  }

  /** Sorted ids of the stores holding each image, as the view's comma-joined `stores`. */
  async storeIdsOf(imageIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const [id, cs] of await this.copiesOf(imageIds)) out.set(id, cs.map((c) => c.storeId).sort());
    return out;
  }

  async record(imageId: string, storeId: string, location: string): Promise<void> {
    await this.copies.add({ imageId, storeId, location }, dbTime());
  }

  async forget(imageId: string, storeId: string): Promise<void> {
    await this.copies.delete(imageId, storeId);
  }

  add(key: string, data: Readable, opts: AddOptions): Promise<StoredImageData> {
    return this.defaultStore.data.add(key, data, opts);
  }

  get(location: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.#owner(location).get(location, range);
  }

  /** Deletes the image's data from every store holding a copy. */
  async delete(location: string): Promise<void> {
    const copy = await this.copies.byLocation(location);
    if (!copy) return this.#owner(location).delete(location);
    for (const c of (await this.copiesOf([copy.imageId])).get(copy.imageId) ?? []) {
      // A store since removed from the configuration keeps its file; the row goes.
      await this.stores.find((s) => s.id === c.storeId)?.data.delete(c.location);
    }
    await this.copies.deleteAll(copy.imageId);
  }

  localPath(location: string): string | undefined {
    for (const s of this.stores) {
      const path = s.data.localPath?.(location);
      if (path) return path;
    }
    return undefined;
  }

  /** The store a location belongs to (filesystem stores recognise their own paths). */
  #owner(location: string): ImageDataStore {
    return this.stores.find((s) => s.data.localPath?.(location) !== undefined)?.data ?? this.defaultStore.data;
  }
}
