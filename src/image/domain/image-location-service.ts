import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isDeepStrictEqual } from 'node:util';
import { KumoError, badRequest, conflict, forbidden } from '../../lib/errors.js';
import type { ImageDataStore } from '../store/image-data-store.js';
import type { LocationStore } from '../store/location-store.js';
import type { ImageChange } from './image-service.js';
import type { Image, ImageLocation, ImageStatus } from './models.js';
import type { WebDownloadRules } from './web-download.js';

export interface ImageLocationServiceDeps {
  store: LocationStore;
  /** Kumo's own store, to drop the data when a user removes its location. */
  data: ImageDataStore;
  /** The web-download filters (ports, hosts) guard locations too: the server fetches them. */
  rules: WebDownloadRules;
  /** `image.show_multiple_locations`. */
  show: boolean;
  /** Bytes at an external URL (0 when unknown); an HTTP HEAD, or a one-byte ranged GET, by default. */
  sizeOf?: (url: URL) => Promise<number>;
}

/** Opens an image's data from its external locations, optionally the inclusive byte range. */
export type ExternalOpener = (range?: { start: number; end: number }) => Promise<Readable>;

/** Glance's only hashing algorithm for `validation_data` (its `hashing_algorithm` default). */
const HASH_ALGO = 'sha512';
const HASH_BYTES = 64;
const MAX_REDIRECTS = 5;
const PROBE_TIMEOUT_MS = 15_000;

/** A location as given in a patch, with its write-only validation data. */
interface GivenLocation extends ImageLocation {
  validation?: { checksum?: string; os_hash_algo: string; os_hash_value: string };
}

/**
 * Glance's locations API (`show_multiple_locations`): users list, add,
 * replace and remove http(s) locations of an image's data. Kumo's own copy
 * (`images.location`) shows first and may be removed, never set; only http
 * and https URLs may be added, so an image can never point at host files.
 */
export class ImageLocationService {
  constructor(private readonly deps: ImageLocationServiceDeps) {}

  get shown(): boolean {
    return this.deps.show;
  }

  /** Sets `locations` on each image, when the deployment shows them. */
  async decorate(images: Image[]): Promise<void> {
    if (!this.deps.show) return;
    const external = await this.deps.store.listMany(images.map((i) => i.id));
    for (const i of images) i.locations = [...internalOf(i), ...(external.get(i.id) ?? [])];
  }

  /** Starts applying location changes to `image` (saved by the caller, then committed). */
  async edit(image: Image): Promise<LocationEdit> {
    return new LocationEdit(this.deps, image, await this.deps.store.list(image.id));
  }

  async forget(imageId: string): Promise<void> {
    await this.deps.store.replace(imageId, []);
  }

  /** How to read an image whose data lives only at external locations; undefined when it has none. */
  async opener(image: Image): Promise<ExternalOpener | undefined> {
    const urls = (await this.deps.store.list(image.id)).map((l) => l.url);
    if (urls.length === 0) return undefined;
    // As Glance, the first location that answers serves the data.
    return async (range) => {
      let last: unknown;
      for (const url of urls) {
        try {
          return await openExternal(new URL(url), this.deps.rules, range);
        } catch (e) {
          last = e;
        }
      }
      throw new KumoError('image_data_unavailable', 502, `No location of image ${image.id} could be read: ${String(last)}`);
    };
  }
}

/** The location changes of one PATCH, applied in memory. */
export class LocationEdit {
  #dropped: string | null = null;

  constructor(
    private readonly deps: ImageLocationServiceDeps,
    private readonly image: Image,
    private external: ImageLocation[],
  ) {}

  /** What the image shows: Kumo's own copy first, then the external locations. */
  #all(): ImageLocation[] {
    return [...internalOf(this.image), ...this.external];
  }

  async apply(c: ImageChange): Promise<void> {
    if (c.op === 'replace') return this.#replace(c);
    if (c.index === undefined) throw badRequest(`Invalid JSON pointer for this resource: '/locations'`, 'invalid_pointer');
    if (c.op === 'add') return this.#add(c.index, c.value);
    return this.#remove(c.index);
  }

  async #add(index: string, value: unknown): Promise<void> {
    this.#requireStatus(['active', 'queued'], 'add');
    const loc = parseLocation(value);
    const validation = validationData(this.image, [loc]);
    const all = this.#all();
    const pos = position(index, all.length, true);
    if (pos === undefined) throw badRequest('Invalid position for adding a location.', 'invalid_location_position');
    if (all.some((l) => sameLocation(l, loc))) throw badRequest(`The location ${loc.url} already exists`, 'duplicate_location');
    const size = await this.#checkNew(loc.url);
    this.external.splice(Math.max(0, pos - (all.length - this.external.length)), 0, plain(loc));
    this.#activate(validation, size);
  }

  async #replace(c: ImageChange): Promise<void> {
    if (c.index !== undefined) throw badRequest(`Invalid JSON pointer for this resource: '/locations/${c.index}'`, 'invalid_pointer');
    if (!Array.isArray(c.value)) throw badRequest('Invalid locations: must be a list.', 'invalid_locations');
    if (c.value.length === 0) throw forbidden('Cannot set locations to empty list.', 'locations_empty');
    this.#requireStatus(['active', 'queued'], 'replace');
    const given = c.value.map(parseLocation);
    const validation = validationData(this.image, given);
    const all = this.#all();
    const urls = (ls: ImageLocation[]): string => JSON.stringify(ls.map((l) => l.url).sort());
    if (urls(all) === urls(given)) {
      // Same URLs: only metadata (and the order of external locations) may change.
      const own = internalOf(this.image)[0];
      const ownGiven = own && given.find((l) => l.url === own.url);
      if (ownGiven && !isDeepStrictEqual(ownGiven.metadata, own.metadata))
        throw badRequest("The metadata of the image's own data location cannot be changed.", 'invalid_locations');
      this.external = given.filter((l) => l !== ownGiven).map(plain);
      this.#activate(validation, 0);
      return;
    }
    if (all.length > 0)
      throw badRequest('Original locations is not empty: only the metadata of existing locations may be replaced.', 'invalid_locations');
    let size = 0;
    for (const [i, loc] of given.entries()) {
      if (given.some((l, j) => j !== i && sameLocation(l, loc)))
        throw badRequest(`The location ${loc.url} already exists`, 'duplicate_location');
      size ||= await this.#checkNew(loc.url);
    }
    this.external = given.map(plain);
    this.#activate(validation, size);
  }

  async #remove(index: string): Promise<void> {
    this.#requireStatus(['active'], 'remove');
    const all = this.#all();
    if (all.length === 1) throw forbidden('Cannot remove last location in the image.', 'last_location');
    const pos = position(index, all.length, false);
    if (pos === undefined) throw badRequest('Invalid position for removing a location.', 'invalid_location_position');
    const offset = all.length - this.external.length;
    if (pos < offset) {
      this.#dropped = this.image.location;
      this.image.location = null;
    } else {
      this.external.splice(pos - offset, 1);
    }
  }

  /** After the image is saved: writes the external list and drops Kumo's copy if it was removed. */
  async commit(): Promise<void> {
    await this.deps.store.replace(this.image.id, this.external);
    if (this.#dropped !== null) await this.deps.data.delete(this.#dropped);
  }

  #requireStatus(allowed: ImageStatus[], what: string): void {
    if (!allowed.includes(this.image.status))
      throw conflict(`It's not allowed to ${what} locations if image status is ${this.image.status}.`, 'bad_status');
  }

  /** A new location must be http(s), pass the fetch filters, and have data. */
  async #checkNew(raw: string): Promise<number> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw badRequest(`Invalid location: ${raw}`, 'invalid_location');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw badRequest(`Invalid location: scheme '${url.protocol.slice(0, -1)}' is not allowed; use http or https.`, 'invalid_location');
    try {
      this.deps.rules.check(raw);
    } catch (e) {
      throw badRequest(`Invalid location: ${(e as Error).message}`, 'invalid_location');
    }
    const size = await (this.deps.sizeOf ?? ((u: URL) => httpSize(u, this.deps.rules)))(url).catch(() => 0);
    if (!(size > 0)) throw badRequest(`Invalid location: no data could be found at ${raw}`, 'invalid_location');
    return size;
  }

  /** A queued image becomes active with its first location, taking the validation data as its hashes. */
  #activate(validation: Partial<Pick<Image, 'checksum' | 'osHashAlgo' | 'osHashValue'>>, size: number): void {
    if (this.image.size === null && size > 0) this.image.size = size;
    if (this.image.status !== 'queued') return;
    Object.assign(this.image, validation);
    this.image.status = 'active';
  }
}

function internalOf(image: Image): ImageLocation[] {
  return image.location === null ? [] : [{ url: image.location, metadata: {} }];
}

const plain = (l: ImageLocation): ImageLocation => ({ url: l.url, metadata: l.metadata });
const sameLocation = (a: ImageLocation, b: ImageLocation): boolean => a.url === b.url && isDeepStrictEqual(a.metadata, b.metadata);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Glance's location schema: `{url, metadata, validation_data?}`. */
function parseLocation(v: unknown): GivenLocation {
  const bad = (why: string): KumoError => badRequest(`Invalid location: ${why}`, 'invalid_location');
  if (!isObject(v)) throw bad('must be an object with url and metadata.');
  for (const k of Object.keys(v)) if (!['url', 'metadata', 'validation_data'].includes(k)) throw bad(`unknown member '${k}'.`);
  if (typeof v.url !== 'string' || v.url.length === 0 || v.url.length > 255) throw bad('url must be a string of 1 to 255 characters.');
  if (!isObject(v.metadata)) throw bad('metadata must be an object.');
  const loc: GivenLocation = { url: v.url, metadata: v.metadata };
  if (v.validation_data === undefined) return loc;
  const d = v.validation_data;
  if (!isObject(d)) throw bad('validation_data must be an object.');
  for (const [k, max] of Object.entries({ checksum: 32, os_hash_algo: 64, os_hash_value: 128 })) {
    if (d[k] !== undefined && (typeof d[k] !== 'string' || (d[k] as string).length > max)) throw bad(`validation_data.${k} is invalid.`);
  }
  for (const k of Object.keys(d))
    if (!['checksum', 'os_hash_algo', 'os_hash_value'].includes(k)) throw bad(`unknown validation_data member '${k}'.`);
  if (d.checksum !== undefined && (d.checksum as string).length !== 32) throw bad('validation_data.checksum must be 32 characters.');
  if (typeof d.os_hash_algo !== 'string' || typeof d.os_hash_value !== 'string')
    throw bad('validation_data needs os_hash_algo and os_hash_value.');
  loc.validation = d as GivenLocation['validation'];
  return loc;
}

const FIELDS = { checksum: 'checksum', os_hash_algo: 'osHashAlgo', os_hash_value: 'osHashValue' } as const;
const isHex = (s: string, bytes: number): boolean => s.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(s);

/**
 * Glance's `validation_data` rules: values must agree with each other and
 * with what the image already has; new ones only on a queued image, and only
 * a well-formed md5 and sha512. Returns the values to set (409 otherwise).
 */
function validationData(image: Image, locations: GivenLocation[]): Partial<Pick<Image, 'checksum' | 'osHashAlgo' | 'osHashValue'>> {
  const given: Record<string, string> = {};
  for (const l of locations) {
    for (const [k, v] of Object.entries(l.validation ?? {})) {
      if (given[k] !== undefined && given[k] !== v) throw conflict(`Conflicting values for ${k}`, 'validation_conflict');
      given[k] = v;
    }
  }
  const fresh: Partial<Record<keyof typeof FIELDS, string>> = {};
  for (const [k, v] of Object.entries(given) as [keyof typeof FIELDS, string][]) {
    const current = image[FIELDS[k]];
    if (v === current) continue;
    if (current) throw conflict(`${k} is already set with a different value`, 'validation_conflict');
    fresh[k] = v;
  }
  if (Object.keys(fresh).length === 0) return {};
  if (image.status !== 'queued')
    throw conflict(`New value(s) for ${Object.keys(fresh).join(', ')} may only be provided when image status is 'queued'`, 'bad_status');
  if (fresh.checksum !== undefined && !isHex(fresh.checksum, 16))
    throw conflict(`checksum (${fresh.checksum}) is not a valid md5 hexadecimal value`, 'validation_conflict');
  if (fresh.os_hash_algo !== HASH_ALGO)
    throw conflict(`os_hash_algo must be ${HASH_ALGO}, not ${String(fresh.os_hash_algo)}`, 'validation_conflict');
  if (fresh.os_hash_value === undefined || !isHex(fresh.os_hash_value, HASH_BYTES))
    throw conflict(`os_hash_value (${String(fresh.os_hash_value)}) is not a valid ${HASH_ALGO} hexadecimal value`, 'validation_conflict');
  const out: Partial<Pick<Image, 'checksum' | 'osHashAlgo' | 'osHashValue'>> = {};
  for (const [k, v] of Object.entries(fresh) as [keyof typeof FIELDS, string][]) out[FIELDS[k]] = v;
  return out;
}

/** Glance's position rule: a decimal index or `-` (the end); `allowEnd` lets an add insert after the last. */
function position(index: string, length: number, allowEnd: boolean): number | undefined {
  let pos = allowEnd ? length : length - 1;
  if (/^\d+$/.test(index)) pos = Number(index);
  else if (index !== '-') return undefined;
  if (!allowEnd && !(pos >= 0 && pos < length)) return undefined;
  return pos;
}

/** Fetches `url`, re-checking every redirect against the filters (as web-download does). */
async function follow(url: URL, rules: WebDownloadRules, init: RequestInit): Promise<Response> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetch(current, { ...init, redirect: 'manual' });
    const next = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !next) return res;
    await res.body?.cancel();
    current = rules.check(new URL(next, current).toString());
  }
  throw badRequest(`Location ${url.toString()} redirects too many times.`, 'invalid_location');
}

/** Size as Glance's http store finds it: Content-Length of a HEAD, else the total of a one-byte range. */
async function httpSize(url: URL, rules: WebDownloadRules): Promise<number> {
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  const head = await follow(url, rules, { method: 'HEAD', signal });
  const length = Number(head.headers.get('content-length'));
  if (head.ok && length > 0) return length;
  const res = await follow(url, rules, { headers: { range: 'bytes=0-0' }, signal });
  await res.body?.cancel();
  const total = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
  if (res.status === 206 && total) return Number(total[1]);
  return res.ok ? Number(res.headers.get('content-length')) || 0 : 0;
}

async function openExternal(url: URL, rules: WebDownloadRules, range?: { start: number; end: number }): Promise<Readable> {
  const res = await follow(url, rules, range ? { headers: { range: `bytes=${range.start}-${range.end}` } } : {});
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  // A server that ignores Range sends everything: cut the range out here.
  return range && res.status === 200 ? Readable.from(slice(body, range.start, range.end)) : body;
}

async function* slice(src: AsyncIterable<Buffer>, start: number, end: number): AsyncGenerator<Buffer> {
  let pos = 0;
  for await (const chunk of src) {
    const from = Math.max(0, start - pos);
    const to = Math.min(chunk.length, end + 1 - pos);
    if (to > from) yield chunk.subarray(from, to);
    pos += chunk.length;
    if (pos > end) return;
  }
}
