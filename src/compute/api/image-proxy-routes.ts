import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../lib/errors.js';
import { assertValid } from '../../lib/http/validation.js';
import type { GlanceImage } from '../domain/server-image-client.js';
import { novaImageProgress, novaImageStatus, propertiesOf, type ImageListFilters, type ImageProxyService } from '../domain/image-proxy.js';
import type { QuotaChecker } from '../domain/resource-services.js';
import { authOf } from './route-helpers.js';
import { baseUrl, links, queryOf, versionNotFound } from './resource-route-helpers.js';
import { metadataBody } from './server-schemas.js';
import { isoTime, serverLinks } from './server-views.js';

type ImageParams = { Params: { image_id: string } };
type KeyParams = { Params: { image_id: string; key: string } };

const metadataAll = metadataBody('metadata');
const metaOne = metadataBody('meta');

/** Nova: the image proxy is gone from 2.36, its metadata API from 2.39. */
function proxyVersion(req: FastifyRequest, last: '2.35' | '2.38'): void {
  if (req.microversion.atLeast(last === '2.35' ? '2.36' : '2.39')) throw versionNotFound();
}

function imageLinks(req: FastifyRequest, glanceBase: string, id: string): { rel: string; href: string; type?: string }[] {
  return [...links(req, 'images', id), { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glanceBase}/images/${id}` }];
}

function detailView(req: FastifyRequest, glanceBase: string, image: GlanceImage): Record<string, unknown> {
  const metadata = propertiesOf(image);
  const view: Record<string, unknown> = {
    id: image.id,
    name: image.name,
    minRam: Number(image.min_ram ?? 0),
    minDisk: Number(image.min_disk ?? 0),
    metadata,
    created: isoTime((image.created_at as string | undefined) ?? null),
    updated: isoTime((image.updated_at as string | undefined) ?? null),
    status: novaImageStatus(image.status),
    progress: novaImageProgress(image.status),
    'OS-EXT-IMG-SIZE:size': image.size ?? null,
    links: imageLinks(req, glanceBase, image.id),
  };
  if (typeof metadata.instance_uuid === 'string') {
    view.server = { id: metadata.instance_uuid, links: serverLinks(baseUrl(req), metadata.instance_uuid) };
  }
  const adc = metadata.auto_disk_config;
  if (adc !== undefined && adc !== null) view['OS-DCF:diskConfig'] = /^(1|t|true|on|y|yes)$/i.test(String(adc)) ? 'AUTO' : 'MANUAL';
  return view;
}

/** Nova's list filters and paging parameters, as given (repeated ones: the last). */
function filtersOf(req: FastifyRequest): ImageListFilters {
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(queryOf(req))) {
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) f[k] = one;
  }
  return f as ImageListFilters;
}

/** `/images` and `/images/{id}/metadata`: Nova's image proxy over Glance (2.1–2.35, metadata to 2.38). */
export function registerImageProxyRoutes(
  app: FastifyInstance,
  images: ImageProxyService,
  quotas: QuotaChecker,
  glanceBase: () => Promise<string>,
): void {
  const token = (req: FastifyRequest) => authOf(req).token;
  const metadataLimit = (req: FastifyRequest) => quotas.metadataItemsLimit(authOf(req).projectId ?? '');

  const list = (detail: boolean) => async (req: FastifyRequest) => {
    proxyVersion(req, '2.35');
    const filters = filtersOf(req);
    const page = await images.list(token(req), filters);
    const g = await glanceBase();
    const body: Record<string, unknown> = {
      images: page.images.map((i) => (detail ? detailView(req, g, i) : { id: i.id, name: i.name, links: imageLinks(req, g, i.id) })),
    };
    if (page.next) {
      const q = new URLSearchParams(filters as Record<string, string>);
      q.set('marker', page.next);
      body.images_links = [{ rel: 'next', href: `${baseUrl(req)}/v2.1/images${detail ? '/detail' : ''}?${q.toString()}` }];
    }
    return body;
  };
  app.get('/v2.1/images', list(false));
  app.get('/v2.1/images/detail', list(true));

  app.get<ImageParams>('/v2.1/images/:image_id', async (req) => {
    proxyVersion(req, '2.35');
    return { image: detailView(req, await glanceBase(), await images.get(token(req), req.params.image_id)) };
  });
  app.delete<ImageParams>('/v2.1/images/:image_id', async (req, reply) => {
    proxyVersion(req, '2.35');
    await images.delete(token(req), req.params.image_id);
    reply.code(204);
  });

  app.get<ImageParams>('/v2.1/images/:image_id/metadata', async (req) => {
    proxyVersion(req, '2.38');
    return { metadata: await images.metadata(token(req), req.params.image_id) };
  });
  app.post<ImageParams>('/v2.1/images/:image_id/metadata', async (req) => {
    proxyVersion(req, '2.38');
    const { metadata } = assertValid<{ metadata: Record<string, string> }>(metadataAll, req.body);
    return { metadata: await images.mergeMetadata(token(req), req.params.image_id, metadata, await metadataLimit(req)) };
  });
  app.put<ImageParams>('/v2.1/images/:image_id/metadata', async (req) => {
    proxyVersion(req, '2.38');
    const { metadata } = assertValid<{ metadata: Record<string, string> }>(metadataAll, req.body);
    return { metadata: await images.replaceMetadata(token(req), req.params.image_id, metadata, await metadataLimit(req)) };
  });
  app.get<KeyParams>('/v2.1/images/:image_id/metadata/:key', async (req) => {
    proxyVersion(req, '2.38');
    const metadata = await images.metadata(token(req), req.params.image_id);
    if (!Object.hasOwn(metadata, req.params.key)) throw notFound('The resource could not be found.');
    return { meta: { [req.params.key]: metadata[req.params.key] } };
  });
  app.put<KeyParams>('/v2.1/images/:image_id/metadata/:key', async (req) => {
    proxyVersion(req, '2.38');
    const { meta } = assertValid<{ meta: Record<string, string> }>(metaOne, req.body);
    const keys = Object.keys(meta);
    if (keys.length !== 1) throw badRequest('Request body contains too many items', 'too_many_items');
    if (keys[0] !== req.params.key) throw badRequest('Request body and URI mismatch', 'uri_mismatch');
    await images.setItem(token(req), req.params.image_id, req.params.key, meta[req.params.key]!, await metadataLimit(req));
    return { meta };
  });
  app.delete<KeyParams>('/v2.1/images/:image_id/metadata/:key', async (req, reply) => {
    proxyVersion(req, '2.38');
    await images.deleteItem(token(req), req.params.image_id, req.params.key);
    reply.code(204);
  });
}
