import type { ServiceSession } from '../../lib/clients/service-session.js';
import { KumoError, badRequest } from '../../lib/errors.js';
import type { ImageSpec } from '../../lib/rpc/compute-rpc.js';

/** A Glance v2 image as compute needs it. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  min_disk: number;
  min_ram: number;
  [property: string]: unknown;
}

/** Glance's own fields; anything else on an image is a free-form property. */
const CORE_FIELDS = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'size',
  'virtual_size',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
  'tags',
  'self',
  'file',
  'schema',
  'locations',
  'direct_url',
  'stores',
  'os_hidden',
]);

/** The image service, called on behalf of the API caller (their token decides what they may see). */
export interface ServerImageClient {
  /** The image; 400 "Image <id> could not be found." when the caller cannot see it. */
  get(token: string, id: string): Promise<GlanceImage>;
  /** Creates a queued image (snapshot target) owned by the caller's project. */
  createSnapshot(token: string, body: Record<string, unknown>): Promise<GlanceImage>;
  /** Base URL of the image service (for Location headers). */
  endpoint(): Promise<string>;
  /** Images matching Glance list filters (e.g. instance_uuid, image_type), newest first. */
  list(token: string, filters: Record<string, string>): Promise<GlanceImage[]>;
  /** Deletes an image; one already gone is fine. */
  delete(token: string, id: string): Promise<void>;
}

export function imageSpecOf(image: GlanceImage): ImageSpec {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(image)) {
    if (!CORE_FIELDS.has(k) && v !== null && v !== undefined) properties[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return {
    id: image.id,
    name: image.name ?? '',
    diskFormat: image.disk_format ?? 'raw',
    containerFormat: image.container_format ?? 'bare',
    size: image.size ?? 0,
    minDisk: image.min_disk ?? 0,
    minRam: image.min_ram ?? 0,
    properties,
  };
}

export function createServerImageClient(session: ServiceSession, fetchFn: typeof fetch = fetch): ServerImageClient {
  const call = async (token: string, method: string, path: string, body?: unknown): Promise<Response> => {
    const base = await session.endpoint('image');
    try {
      return await fetchFn(`${base}${path}`, {
        method,
        headers: { 'x-auth-token': token, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new KumoError('upstream_unavailable', 503, `image service unreachable: ${(e as Error).message}`);
    }
  };
  return {
    endpoint: () => session.endpoint('image'),
    async list(token, filters) {
      const q = new URLSearchParams({ ...filters, sort_key: 'created_at', sort_dir: 'desc', limit: '1000' });
      const res = await call(token, 'GET', `/v2/images?${q.toString()}`);
      if (!res.ok) throw new KumoError('upstream_error', 502, `image service answered ${res.status}`);
      return ((await res.json()) as { images: GlanceImage[] }).images;
    },
    async delete(token, id) {
      const res = await call(token, 'DELETE', `/v2/images/${encodeURIComponent(id)}`);
      await res.body?.cancel();
      if (!res.ok && res.status !== 404) throw new KumoError('upstream_error', 502, `image service answered ${res.status}`);
    },
    async get(token, id) {
      const res = await call(token, 'GET', `/v2/images/${encodeURIComponent(id)}`);
      if (res.status === 404 || res.status === 403 || res.status === 400) {
        await res.body?.cancel();
        throw badRequest(`Image ${id} could not be found.`, 'image_not_found');
      }
      if (!res.ok) throw new KumoError('upstream_error', 502, `image service answered ${res.status}`);
      return (await res.json()) as GlanceImage;
    },
    async createSnapshot(token, body) {
      const res = await call(token, 'POST', '/v2/images', body);
      if (res.status === 413) throw new KumoError('quota_exceeded', 403, 'Quota exceeded for images.');
      if (!res.ok)
        throw new KumoError(
          'upstream_error',
          res.status >= 500 ? 502 : res.status,
          `image service answered ${res.status}: ${(await res.text()).slice(0, 300)}`,
        );
      return (await res.json()) as GlanceImage;
    },
  };
}
