import type { ServiceSession } from '../../lib/clients/service-session.js';
import { KumoError, badRequest, forbidden, notFound } from '../../lib/errors.js';
import { imageSpecOf, type GlanceImage } from './server-image-client.js';

/**
 * Nova's image proxy (`/images`, deprecated at 2.36 but what 2.1 clients and
 * Tempest's compute image tests use): Glance images seen through the caller's
 * token, in Nova's shape, with their free-form properties as `metadata`.
 */

/** Nova's query names for the proxy list, and what each compares on a Glance image. */
export interface ImageListFilters {
  name?: string;
  status?: string;
  'changes-since'?: string;
  server?: string;
  type?: string;
  minRam?: string;
  minDisk?: string;
  limit?: string;
  marker?: string;
  [propertyFilter: `property-${string}`]: string | undefined;
}

/** The Glance calls the proxy makes, on behalf of the caller. */
export interface ImageProxyClient {
  /** Every image the caller sees, in Glance's order (newest first). */
  listAll(token: string): Promise<GlanceImage[]>;
  /** The image, or null when the caller cannot see it. */
  find(token: string, id: string): Promise<GlanceImage | null>;
  /** 'gone' when there was no such image, 'forbidden' when Glance refused. */
  delete(token: string, id: string): Promise<'deleted' | 'gone' | 'forbidden'>;
  /** Replaces the image's free-form properties with `properties`. */
  setProperties(token: string, image: GlanceImage, properties: Record<string, unknown>): Promise<GlanceImage>;
}

const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

export function createImageProxyClient(session: ServiceSession, fetchFn: typeof fetch = fetch): ImageProxyClient {
  const call = async (token: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response> => {
    const base = await session.endpoint('image');
    try {
      return await fetchFn(`${base}${path}`, {
        method,
        headers: { 'x-auth-token': token, accept: 'application/json', ...(body ? { 'content-type': contentType } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new KumoError('upstream_unavailable', 503, `image service unreachable: ${(e as Error).message}`);
    }
  };
  const upstream = async (res: Response): Promise<KumoError> =>
    new KumoError('upstream_error', 502, `image service answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return {
    async listAll(token) {
      const out: GlanceImage[] = [];
      let path: string | undefined = '/v2/images?limit=1000';
      while (path) {
        const res = await call(token, 'GET', path);
        if (!res.ok) throw await upstream(res);
        const page = (await res.json()) as { images: GlanceImage[]; next?: string };
        out.push(...page.images);
        path = page.next && page.images.length > 0 ? page.next : undefined;
      }
      return out;
    },
    async find(token, id) {
      const res = await call(token, 'GET', `/v2/images/${encodeURIComponent(id)}`);
      if (res.status === 404 || res.status === 403 || res.status === 400) {
        await res.body?.cancel();
        return null;
      }
      if (!res.ok) throw await upstream(res);
      return (await res.json()) as GlanceImage;
    },
    async delete(token, id) {
      const res = await call(token, 'DELETE', `/v2/images/${encodeURIComponent(id)}`);
      if (res.ok || res.status === 404 || res.status === 403 || res.status === 400) await res.body?.cancel();
      if (res.ok) return 'deleted';
      if (res.status === 404 || res.status === 400) return 'gone';
      if (res.status === 403) return 'forbidden';
      throw await upstream(res);
    },
    async setProperties(token, image, properties) {
      const old = propertiesOf(image);
      const ops: { op: string; path: string; value?: unknown }[] = [];
      for (const k of Object.keys(old)) if (!(k in properties)) ops.push({ op: 'remove', path: `/${pointer(k)}` });
      for (const [k, v] of Object.entries(properties)) {
        if (old[k] !== v) ops.push({ op: k in old ? 'replace' : 'add', path: `/${pointer(k)}`, value: v });
      }
      if (ops.length === 0) return image;
      const res = await call(token, 'PATCH', `/v2/images/${encodeURIComponent(image.id)}`, ops, PATCH_TYPE);
      if (res.status === 403) {
        await res.body?.cancel();
        throw forbidden('You are not authorized to update this image.');
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw notFound('Image not found.');
      }
      if (res.status === 400 || res.status === 409 || res.status === 413) {
        throw badRequest(`Invalid image metadata: ${(await res.text()).slice(0, 200)}`);
      }
      if (!res.ok) throw await upstream(res);
      return (await res.json()) as GlanceImage;
    },
  };
}

/** JSON pointer escaping of one property name. */
function pointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** An image's free-form properties (everything Glance does not define itself). */
export function propertiesOf(image: GlanceImage): Record<string, unknown> {
  const spec = imageSpecOf(image);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(spec.properties)) out[k] = image[k];
  return out;
}

const NOVA_STATUS: Readonly<Record<string, string>> = {
  active: 'ACTIVE',
  queued: 'SAVING',
  saving: 'SAVING',
  deleted: 'DELETED',
  pending_delete: 'DELETED',
  killed: 'ERROR',
};

export const novaImageStatus = (glanceStatus: string): string => NOVA_STATUS[glanceStatus] ?? 'UNKNOWN';

export const novaImageProgress = (glanceStatus: string): number => ({ queued: 25, saving: 50, active: 100 })[glanceStatus] ?? 0;

function timeOf(v: unknown): number {
  return typeof v === 'string' ? Date.parse(v) : NaN;
}

/** Nova's proxy filters (`server` may be a server URL; its last segment is the id), applied to Glance images. */
function matches(image: GlanceImage, f: ImageListFilters): boolean {
  const props = propertiesOf(image);
  if (f.name !== undefined && image.name !== f.name) return false;
  if (f.status !== undefined && image.status !== f.status.toLowerCase()) return false;
  if (f['changes-since'] !== undefined) {
    const since = timeOf(f['changes-since']);
    if (Number.isNaN(since)) throw badRequest(`Invalid changes-since value: ${f['changes-since']}`);
    if (!(timeOf(image.updated_at) >= since)) return false;
  }
  if (f.server !== undefined && props.instance_uuid !== f.server.slice(f.server.lastIndexOf('/') + 1)) return false;
  if (f.type !== undefined && props.image_type !== f.type) return false;
  if (f.minRam !== undefined && !((image.min_ram ?? 0) >= Number(f.minRam))) return false;
  if (f.minDisk !== undefined && !((image.min_disk ?? 0) >= Number(f.minDisk))) return false;
  for (const [k, v] of Object.entries(f)) {
    if (k.startsWith('property-') && v !== undefined && String(props[k.slice('property-'.length)]) !== v) return false;
  }
  return true;
}

export interface ImagePage {
  images: GlanceImage[];
  /** The last image's id when the page is full (more may follow). */
  next?: string;
}

export class ImageProxyService {
  constructor(private readonly client: ImageProxyClient) {}

  async list(token: string, filters: ImageListFilters): Promise<ImagePage> {
    for (const k of ['minRam', 'minDisk', 'limit'] as const) {
      const v = filters[k];
      if (v !== undefined && !/^\d+$/.test(v)) throw badRequest(`Invalid ${k} value: ${v}`);
    }
    let images = (await this.client.listAll(token)).filter((i) => matches(i, filters));
    if (filters.marker !== undefined) {
      const at = images.findIndex((i) => i.id === filters.marker);
      if (at < 0) throw badRequest(`marker [${filters.marker}] not found`);
      images = images.slice(at + 1);
    }
    if (filters.limit === undefined) return { images };
    const limit = Number(filters.limit);
    const page = images.slice(0, limit);
    return { images: page, next: page.length === limit && page.length > 0 ? page[page.length - 1]!.id : undefined };
  }

  async get(token: string, id: string): Promise<GlanceImage> {
    const image = await this.client.find(token, id);
    if (!image || image.status === 'deleted') throw notFound('Image not found.');
    return image;
  }

  async delete(token: string, id: string): Promise<void> {
    const r = await this.client.delete(token, id);
    if (r === 'gone') throw notFound('Image not found.');
    if (r === 'forbidden') throw forbidden('You are not allowed to delete the image.');
  }

  async metadata(token: string, id: string): Promise<Record<string, unknown>> {
    return propertiesOf(await this.get(token, id));
  }

  /** Merges `metadata` into the image's properties (POST .../metadata). */
  async mergeMetadata(token: string, id: string, metadata: Record<string, string>, maxItems: number): Promise<Record<string, unknown>> {
    const image = await this.get(token, id);
    const props = { ...propertiesOf(image), ...metadata };
    checkCount(props, maxItems);
    return propertiesOf(await this.client.setProperties(token, image, props));
  }

  /** Replaces every property (PUT .../metadata). */
  async replaceMetadata(token: string, id: string, metadata: Record<string, string>, maxItems: number): Promise<Record<string, string>> {
    const image = await this.get(token, id);
    checkCount(metadata, maxItems);
    await this.client.setProperties(token, image, metadata);
    return metadata;
  }

  async setItem(token: string, id: string, key: string, value: string, maxItems: number): Promise<void> {
    const image = await this.get(token, id);
    const props = { ...propertiesOf(image), [key]: value };
    checkCount(props, maxItems);
    await this.client.setProperties(token, image, props);
  }

  async deleteItem(token: string, id: string, key: string): Promise<void> {
    const image = await this.get(token, id);
    const props = propertiesOf(image);
    if (!(key in props)) throw notFound('Invalid metadata key');
    delete props[key];
    await this.client.setProperties(token, image, props);
  }
}

/** Nova counts image properties against the metadata_items quota (403 when over). */
function checkCount(props: Record<string, unknown>, maxItems: number): void {
  if (maxItems >= 0 && Object.keys(props).length > maxItems) {
    throw new KumoError('quota_exceeded', 403, 'Quota exceeded for metadata_items: image metadata limit exceeded.');
  }
}
