import { type Readable } from 'node:stream';
import { KumoError, badRequest, conflict, forbidden } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { dbTime } from '../../lib/time.js';
import { qemuImgInfo } from '../../lib/tools/qemu-img.js';
import type { ImageStore } from '../store/image-store.js';
import type { ImageDataStore, StoredImageData } from '../store/image-data-store.js';
import { inspectFormat } from './format-inspector.js';
import type { ImageQuotas } from './image-quotas.js';
import type { ImageLocationService } from './image-location-service.js';
import type { ImageService } from './image-service.js';
import type { ImageStoreSet, NamedStore } from './image-store-set.js';
import type { Caller, DiskFormat, Image, ImageStatus } from './models.js';
import { fetchForImport, type WebDownloadRules } from './web-download.js';

export interface ImageDataServiceDeps {
  images: ImageService;
  store: ImageStore;
  data: ImageDataStore;
  staging: ImageDataStore;
  quotas: ImageQuotas;
  webDownload: WebDownloadRules;
  log: Logger;
  /** Several stores (`image.stores`); absent with a single store, which is then `data`. */
  stores?: ImageStoreSet;
  /** Data of images that only have external (http) locations. */
  external?: Pick<ImageLocationService, 'opener'>;
}

/** Where an import puts the data, with several stores (Glance's import body). */
export interface ImportTargets {
  stores?: string[];
  allStores?: boolean;
  allStoresMustSucceed?: boolean;
}

/** What a download sends. */
export interface ImageDownload {
  stream: Readable;
  /** Total size of the image. */
  size: number;
  checksum: string | null;
  range?: { start: number; end: number };
}

/** A requested byte range: `bytes=start-[end]`, or the last `suffix` bytes (`bytes=-suffix`). */
export type ByteRange = { start: number; end?: number } | { suffix: number };

/** Opens an image's data from a local cache; undefined when it is not cached. */
export type CacheReader = (id: string, range?: { start: number; end: number }) => Promise<Readable | undefined>;

export const IMPORT_METHODS = ['glance-direct', 'web-download'] as const;
/** Copies an active image into more stores; offered only with several stores. */
export const COPY_IMAGE = 'copy-image';
/** Set by the service during imports to several stores (reserved to users: `os_glance` prefix). */
const IMPORTING = 'os_glance_importing_to_stores';
const FAILED = 'os_glance_failed_import';
const idsOf = (stores: NamedStore[]): string => stores.map((s) => s.id).join(',');
const splitIds = (v: string | undefined): string[] => (v ? v.split(',').filter(Boolean) : []);

/** qemu-img's name of each disk format whose virtual size is not simply the byte count. */
const QEMU_FORMATS: Partial<Record<DiskFormat, string>> = {
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vhd: 'vpc',
  vhdx: 'vhdx',
  vdi: 'vdi',
  ploop: 'parallels',
};

/**
 * Image data: upload, download, staging and import. Status changes are
 * compare-and-set on the stored status, so two uploads to one image, or an
 * upload racing a delete, resolve to one winner on any number of processes.
 */
export class ImageDataService {
  readonly #tasks = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #cache: CacheReader | undefined;

  constructor(private readonly deps: ImageDataServiceDeps) {}

  /** Downloads are served from this node's image cache when it holds the image. */
  useCache(reader: CacheReader): void {
    this.#cache = reader;
  }

  /** Import methods offered: `copy-image` needs several stores. */
  importMethods(): string[] {
    return this.deps.stores ? [...IMPORT_METHODS, COPY_IMAGE] : [...IMPORT_METHODS];
  }

  /** `PUT /v2/images/{id}/file`; `storeId` (`X-Image-Meta-Store`) counts only with several stores. */
  async upload(caller: Caller, id: string, body: Readable, contentLength?: number, storeId?: string): Promise<void> {
    const image = await this.deps.images.getMutable(caller, id);
    requireFormats(image);
    const target = this.deps.stores?.pick(storeId);
    await this.#transition(image, ['queued'], 'saving');
    try {
      const max = await this.deps.quotas.maxUploadSize(image.owner, false);
      await this.#storeActive(image, body, max, contentLength, 'saving', target);
    } catch (e) {
      await this.#restore(image.id, 'saving', 'queued');
      throw e;
    }
  }

  /** `PUT /v2/images/{id}/stage`: data waits in staging for a `glance-direct` import. */
  async stage(caller: Caller, id: string, body: Readable, contentLength?: number): Promise<void> {
    const image = await this.deps.images.getMutable(caller, id);
    await this.#transition(image, ['queued'], 'uploading');
    try {
      const max = await this.deps.quotas.maxUploadSize(image.owner, true);
      const stored = await this.deps.staging.add(image.id, body, { maxSize: max, expectedSize: contentLength });
      const fresh = {
        ...image,
        status: 'uploading' as const,
        stagedLocation: stored.location,
        stagedSize: stored.size,
        updatedAt: dbTime(),
      };
      if (!(await this.deps.store.save(fresh, ['uploading']))) {
        await this.deps.staging.delete(stored.location);
        throw gone(id);
      }
    } catch (e) {
      await this.#restore(image.id, 'uploading', 'queued');
      throw e;
    }
  }

  /** `POST /v2/images/{id}/import`: accepted at once, done in the background. */
  async import(caller: Caller, id: string, method: { name: string; uri?: string }, opts: ImportTargets = {}): Promise<void> {
    const image = await this.deps.images.getMutable(caller, id);
    const set = this.deps.stores;
    if (method.name === COPY_IMAGE && set) return this.#copyImage(image, set, opts);
    requireFormats(image);
    const targets = set?.targets(opts.stores, opts.allStores === true);
    const mustSucceed = opts.allStoresMustSucceed !== false;
    // Saved with the status change below, so a client sees them as soon as the import is accepted.
    if (targets) Object.assign(image.properties, { [IMPORTING]: idsOf(targets), [FAILED]: '' });
    if (method.name === 'glance-direct') {
      if (image.status !== 'uploading' || image.stagedLocation === null) {
        throw conflict(`Image needs to be staged before 'glance-direct' method can be used`, 'image_not_staged');
      }
      await this.#transition(image, ['uploading'], 'importing');
      const staged = image.stagedLocation;
      this.#background(image, async () => this.deps.staging.get(staged), staged, targets, mustSucceed);
      return;
    }
    if (method.name === 'web-download') {
      if (typeof method.uri !== 'string') throw badRequest("'uri' is required for the web-download import method.");
      const url = this.deps.webDownload.check(method.uri);
      if (image.status !== 'queued')
        throw conflict(`Image status '${image.status}' is not 'queued': web-download needs a new image.`, 'bad_status');
      await this.#transition(image, ['queued'], 'importing');
      this.#background(image, () => fetchForImport(url, this.deps.webDownload, this.#abort.signal), null, targets, mustSucceed);
      return;
    }
    throw badRequest(`Import method '${method.name}' is not one of ${this.importMethods().join(', ')}.`, 'invalid_import_method');
  }

  /**
   * The data goes to the first target store, which makes the image active;
   * the other targets then get copies of it, each reported done or failed in
   * the image's os_glance_* properties as it finishes.
   */
  #background(
    image: Image,
    open: () => Promise<Readable>,
    staged: string | null,
    targets: NamedStore[] | undefined,
    mustSucceed: boolean,
  ): void {
    this.#track(async () => {
      try {
        const max = await this.deps.quotas.maxUploadSize(image.owner, false);
        const first = targets?.[0];
        const rest = targets?.slice(1) ?? [];
        await this.#storeActive(image, await open(), max, undefined, 'importing', first);
        if (first) await this.#progress(image.id, first.id, true);
        for (const t of rest) {
          if (!(await this.#copyTo(image.id, t)) && mustSucceed) break;
        }
      } catch (e) {
        this.deps.log.warn({ err: e, imageId: image.id }, 'image import failed');
        const props = targets && { [IMPORTING]: '', [FAILED]: idsOf(targets) };
        await this.#restore(image.id, 'importing', 'queued', props).catch(() => undefined);
      } finally {
        if (staged !== null) await this.deps.staging.delete(staged).catch(() => undefined);
      }
    });
  }

  #track(work: () => Promise<void>): void {
    const task = work();
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  /** `copy-image`: an active image's data into more stores; stores already holding it are skipped. */
  async #copyImage(image: Image, set: ImageStoreSet, opts: ImportTargets): Promise<void> {
    if (image.status !== 'active') {
      throw conflict(`Image status '${image.status}' is not 'active': copy-image needs an active image.`, 'bad_status');
    }
    if (splitIds(image.properties[IMPORTING]).length > 0)
      throw conflict('Image is already being imported to stores.', 'import_in_progress');
    const held = new Set((await set.storeIdsOf([image.id])).get(image.id) ?? []);
    const targets = set.targets(opts.stores, opts.allStores === true).filter((s) => !held.has(s.id));
    const next = { ...image, properties: { ...image.properties, [IMPORTING]: idsOf(targets), [FAILED]: '' }, updatedAt: dbTime() };
    if (!(await this.deps.store.save(next, ['active']))) throw conflict('The image changed concurrently; retry.', 'image_changed');
    this.#track(async () => {
      for (const t of targets) {
        if (!(await this.#copyTo(image.id, t)) && opts.allStoresMustSucceed === true) break;
      }
    });
  }

  /** Copies an image's data from a store holding it into `target`; false (and logged) on failure. */
  async #copyTo(id: string, target: NamedStore): Promise<boolean> {
    const set = this.deps.stores;
    let ok = false;
    try {
      const image = await this.deps.store.get(id);
      const source = set && (await set.copiesOf([id])).get(id)?.[0];
      if (!set || !image || image.size === null || !source || !['active', 'deactivated'].includes(image.status)) throw gone(id);
      const body = await set.pick(source.storeId).data.get(source.location);
      const stored = await target.data.add(id, body, { maxSize: image.size, expectedSize: image.size });
      if (stored.checksum !== image.checksum) {
        await target.data.delete(stored.location);
        throw new KumoError('checksum_mismatch', 500, `Copy of image ${id} to store ${target.id} does not match its checksum.`);
      }
      await set.record(id, target.id, stored.location);
      // A delete that ran during the copy could not see this copy: clean up after it.
      const now = await this.deps.store.get(id);
      if (!now || now.status === 'deleted') {
        await target.data.delete(stored.location);
        await set.forget(id, target.id);
        throw gone(id);
      }
      ok = true;
    } catch (e) {
      this.deps.log.warn({ err: e, imageId: id, store: target.id }, 'copy of image data to a store failed');
    }
    await this.#progress(id, target.id, ok).catch(() => undefined);
    return ok;
  }

  /** Moves a store out of os_glance_importing_to_stores, into os_glance_failed_import on failure. */
  async #progress(id: string, storeId: string, ok: boolean): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = await this.deps.store.get(id);
      if (!cur || cur.status === 'deleted') return;
      const importing = splitIds(cur.properties[IMPORTING]).filter((s) => s !== storeId);
      const failed = splitIds(cur.properties[FAILED]);
      if (!ok && !failed.includes(storeId)) failed.push(storeId);
      const properties = { ...cur.properties, [IMPORTING]: importing.join(','), [FAILED]: failed.join(',') };
      if (await this.deps.store.save({ ...cur, properties, updatedAt: dbTime() }, [cur.status])) return;
    }
  }

  /** Streams into the store (`target` with several stores), checks the content, and makes the image active. */
  async #storeActive(
    image: Image,
    body: Readable,
    maxSize: number,
    contentLength: number | undefined,
    from: ImageStatus,
    target?: NamedStore,
  ): Promise<void> {
    const declared = image.diskFormat as DiskFormat;
    // As Glance: content must match disk_format only in a bare container (others wrap the disk);
    // content QEMU would follow to host files is refused in every container.
    const inspector = inspectFormat(declared, { requireMatch: image.containerFormat === 'bare' });
    const dest = target?.data ?? this.deps.data;
    const stored = await dest.add(image.id, body, { maxSize, expectedSize: contentLength, observe: (c) => inspector.feed(c) });
    try {
      // Recorded before the image turns active, so it never shows active without its store.
      if (target) await this.deps.stores?.record(image.id, target.id, stored.location);
      const result = inspector.finish();
      const virtualSize =
        result.format === declared || declared === 'raw' ? await this.#virtualSize(declared, stored, result.virtualSize) : null;
      const current = await this.deps.store.get(image.id);
      if (!current || current.status !== from) throw gone(image.id);
      const active: Image = {
        ...current,
        status: 'active',
        location: stored.location,
        size: stored.size,
        checksum: stored.checksum,
        osHashAlgo: 'sha512',
        osHashValue: stored.hashValue,
        virtualSize,
        stagedLocation: null,
        stagedSize: null,
        updatedAt: dbTime(),
      };
      if (!(await this.deps.store.save(active, [from]))) throw gone(image.id);
    } catch (e) {
      await dest.delete(stored.location);
      if (target) await this.deps.stores?.forget(image.id, target.id);
      throw e;
    }
  }

  /** qemu-img's answer where the format has one; the byte count for raw. */
  async #virtualSize(format: DiskFormat, stored: StoredImageData, inspected: number | undefined): Promise<number | null> {
    const qemuFormat = QEMU_FORMATS[format];
    if (!qemuFormat) return format === 'raw' ? stored.size : (inspected ?? null);
    const path = this.deps.data.localPath?.(stored.location);
    if (!path) return inspected ?? null;
    const info = await qemuImgInfo(path, qemuFormat);
    // The inspector already refused these; qemu-img is a second opinion, never the only one.
    if (info.backingFile || info.dataFile) throw badRequest('Image has a backing file or an external data file; refused.', 'image_unsafe');
    return info.virtualSize;
  }

  async #transition(image: Image, from: ImageStatus[], to: ImageStatus): Promise<void> {
    if (!from.includes(image.status)) {
      throw conflict(`Image status transition from ${image.status} to ${to} is not allowed`, 'invalid_status_transition');
    }
    const next = { ...image, status: to, updatedAt: dbTime() };
    if (!(await this.deps.store.save(next, from))) {
      const now = await this.deps.store.get(image.id);
      throw conflict(`Image status transition from ${now?.status ?? 'deleted'} to ${to} is not allowed`, 'invalid_status_transition');
    }
    image.status = to;
  }

  /** Puts a failed upload back where it started, unless something else (a delete) moved it on. */
  async #restore(id: string, from: ImageStatus, to: ImageStatus, props?: Record<string, string>): Promise<void> {
    const current = await this.deps.store.get(id);
    if (!current || current.status !== from) return;
    const properties = { ...current.properties, ...props };
    await this.deps.store.save({ ...current, properties, status: to, stagedLocation: null, stagedSize: null, updatedAt: dbTime() }, [from]);
  }

  /** `GET /v2/images/{id}/file`; undefined when the image has no data (Glance's 204). */
  async download(caller: Caller, id: string, requested?: ByteRange): Promise<ImageDownload | undefined> {
    const image = await this.deps.images.get(caller, id);
    if (image.status === 'deactivated' && !caller.isAdmin) {
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.', 'image_deactivated');
    }
    const external = image.location === null ? await this.deps.external?.opener(image) : undefined;
    if ((image.location === null && !external) || image.size === null || !['active', 'deactivated'].includes(image.status))
      return undefined;
    const location = image.location;
    const open = async (r?: { start: number; end: number }): Promise<Readable> =>
      (await this.#cache?.(image.id, r)) ?? (external ? external(r) : this.#open(image.id, location as string, r));
    // A suffix range (`bytes=-n`) is the last n bytes, known only once the size is.
    const range =
      requested && 'suffix' in requested ? { start: Math.max(0, image.size - requested.suffix), end: image.size - 1 } : requested;
    if (range) {
      const end = Math.min(range.end ?? image.size - 1, image.size - 1);
      if (range.start >= image.size || range.start > end) {
        throw new KumoError('range_not_satisfiable', 416, 'Requested range not satisfiable', { 'content-range': `bytes */${image.size}` });
      }
      const stream = await open({ start: range.start, end });
      return { stream, size: image.size, checksum: image.checksum, range: { start: range.start, end } };
    }
    return { stream: await open(), size: image.size, checksum: image.checksum };
  }

  /** Image data from the single store, or from the first of several stores that still has it. */
  async #open(id: string, location: string, range?: { start: number; end: number }): Promise<Readable> {
    const set = this.deps.stores;
    if (!set) return this.deps.data.get(location, range);
    let failure: unknown;
    for (const c of (await set.copiesOf([id])).get(id) ?? []) {
      const store = set.stores.find((s) => s.id === c.storeId);
      if (!store) continue;
      try {
        return await store.data.get(c.location, range);
      } catch (e) {
        failure = e;
      }
    }
    if (failure) throw failure;
    return set.get(location, range);
  }

  /** Stops background imports (they leave their images queued) and waits for them. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#tasks]);
  }
}

function requireFormats(image: Image): void {
  if (image.diskFormat === null || image.containerFormat === null) {
    throw badRequest('Properties disk_format, container_format must be set prior to saving data.', 'formats_missing');
  }
}

const gone = (id: string): KumoError =>
  new KumoError('image_gone', 410, `Image ${id} could not be found after upload. The image may have been deleted during the upload.`);
