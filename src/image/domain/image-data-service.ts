import { type Readable } from 'node:stream';
import { KumoError, badRequest, conflict, forbidden } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { dbTime } from '../../lib/time.js';
import { qemuImgInfo } from '../../lib/tools/qemu-img.js';
import type { ImageStore } from '../store/image-store.js';
import type { ImageDataStore, StoredImageData } from '../store/image-data-store.js';
import { inspectFormat } from './format-inspector.js';
import type { ImageQuotas } from './image-quotas.js';
import type { ImageService } from './image-service.js';
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
}

/** What a download sends. */
export interface ImageDownload {
  stream: Readable;
  /** Total size of the image. */
  size: number;
  checksum: string | null;
  range?: { start: number; end: number };
}

export const IMPORT_METHODS = ['glance-direct', 'web-download'] as const;

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

  constructor(private readonly deps: ImageDataServiceDeps) {}

  /** `PUT /v2/images/{id}/file`. */
  async upload(caller: Caller, id: string, body: Readable, contentLength?: number): Promise<void> {
    const image = await this.deps.images.getMutable(caller, id);
    requireFormats(image);
    await this.#transition(image, ['queued'], 'saving');
    try {
      const max = await this.deps.quotas.maxUploadSize(image.owner, false);
      await this.#storeActive(image, body, max, contentLength, 'saving');
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
  async import(caller: Caller, id: string, method: { name: string; uri?: string }): Promise<void> {
    const image = await this.deps.images.getMutable(caller, id);
    requireFormats(image);
    if (method.name === 'glance-direct') {
      if (image.status !== 'uploading' || image.stagedLocation === null) {
        throw conflict(`Image needs to be staged before 'glance-direct' method can be used`, 'image_not_staged');
      }
      await this.#transition(image, ['uploading'], 'importing');
      const staged = image.stagedLocation;
      this.#background(image, async () => this.deps.staging.get(staged), staged);
      return;
    }
    if (method.name === 'web-download') {
      if (typeof method.uri !== 'string') throw badRequest("'uri' is required for the web-download import method.");
      const url = this.deps.webDownload.check(method.uri);
      if (image.status !== 'queued')
        throw conflict(`Image status '${image.status}' is not 'queued': web-download needs a new image.`, 'bad_status');
      await this.#transition(image, ['queued'], 'importing');
      this.#background(image, () => fetchForImport(url, this.deps.webDownload, this.#abort.signal), null);
      return;
    }
    throw badRequest(`Import method '${method.name}' is not one of ${IMPORT_METHODS.join(', ')}.`, 'invalid_import_method');
  }

  #background(image: Image, open: () => Promise<Readable>, staged: string | null): void {
    const task = (async () => {
      try {
        const max = await this.deps.quotas.maxUploadSize(image.owner, false);
        await this.#storeActive(image, await open(), max, undefined, 'importing');
      } catch (e) {
        this.deps.log.warn({ err: e, imageId: image.id }, 'image import failed');
        await this.#restore(image.id, 'importing', 'queued').catch(() => undefined);
      } finally {
        if (staged !== null) await this.deps.staging.delete(staged).catch(() => undefined);
      }
    })();
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  /** Streams into the store, checks the content, and makes the image active. */
  async #storeActive(image: Image, body: Readable, maxSize: number, contentLength: number | undefined, from: ImageStatus): Promise<void> {
    const declared = image.diskFormat as DiskFormat;
    // As Glance: content must match disk_format only in a bare container (others wrap the disk);
    // content QEMU would follow to host files is refused in every container.
    const inspector = inspectFormat(declared, { requireMatch: image.containerFormat === 'bare' });
    const stored = await this.deps.data.add(image.id, body, { maxSize, expectedSize: contentLength, observe: (c) => inspector.feed(c) });
    try {
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
      await this.deps.data.delete(stored.location);
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
  async #restore(id: string, from: ImageStatus, to: ImageStatus): Promise<void> {
    const current = await this.deps.store.get(id);
    if (!current || current.status !== from) return;
    await this.deps.store.save({ ...current, status: to, stagedLocation: null, stagedSize: null, updatedAt: dbTime() }, [from]);
  }

  /** `GET /v2/images/{id}/file`; undefined when the image has no data (Glance's 204). */
  async download(caller: Caller, id: string, range?: { start: number; end?: number }): Promise<ImageDownload | undefined> {
    const image = await this.deps.images.get(caller, id);
    if (image.status === 'deactivated' && !caller.isAdmin) {
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.', 'image_deactivated');
    }
    if (image.location === null || image.size === null || !['active', 'deactivated'].includes(image.status)) return undefined;
    if (range) {
      const end = Math.min(range.end ?? image.size - 1, image.size - 1);
      if (range.start >= image.size || range.start > end) {
        throw new KumoError('range_not_satisfiable', 416, 'Requested range not satisfiable', { 'content-range': `bytes */${image.size}` });
      }
      const stream = await this.deps.data.get(image.location, { start: range.start, end });
      return { stream, size: image.size, checksum: image.checksum, range: { start: range.start, end } };
    }
    return { stream: await this.deps.data.get(image.location), size: image.size, checksum: image.checksum };
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
