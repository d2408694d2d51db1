import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { ImageServices } from '../domain/image-services.js';
import { imageViewOf, imageViews } from './store-views.js';
import { parseImagePatch } from './json-patch.js';
import { parseImageListQuery } from './list-query.js';
import { callerOf, enforce } from './route-helpers.js';

const IdParam = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }) });

/** The `next` link: the same query, continued after the last image of this page. */
function nextLink(req: FastifyRequest, lastId: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
    if (k === 'marker') continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, String(one));
  }
  params.append('marker', lastId);
  return `/v2/images?${params.toString()}`;
}

/** /v2/images and /v2/images/{id}, with deactivate/reactivate. */
export function registerImagesRoutes(app: FastifyInstance, svc: ImageServices): void {
  const { policy, images, config, data, stores } = svc;

  app.get('/v2/images', async (req) => {
    enforce(policy, req, 'get_images');
    const q = parseImageListQuery(req.query as Record<string, unknown>, {
      defaultLimit: config.limitParamDefault,
      maxLimit: config.apiLimitMax,
    });
    const list = await images.list(callerOf(policy, req), q);
    const body: Record<string, unknown> = { images: await imageViews(svc, list), first: '/v2/images', schema: '/v2/schemas/images' };
    const last = list[list.length - 1];
    if (last && list.length === q.limit) body.next = nextLink(req, last.id);
    return body;
  });

  app.post('/v2/images', async (req, reply) => {
    enforce(policy, req, 'add_image');
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Request body must be a JSON object.');
    const image = await images.create(callerOf(policy, req), body as Record<string, unknown>);
    if (stores) reply.header('openstack-image-store-ids', stores.stores.map((s) => s.id).join(','));
    return reply
      .code(201)
      .header('location', `/v2/images/${image.id}`)
      .header('openstack-image-import-methods', data.importMethods().join(','))
      .send(await imageViewOf(svc, image));
  });

  app.get('/v2/images/:image_id', { schema: { params: IdParam } }, async (req) => {
    enforce(policy, req, 'get_image');
    const { image_id } = req.params as { image_id: string };
    return imageViewOf(svc, await images.get(callerOf(policy, req), image_id));
  });

  app.patch('/v2/images/:image_id', { schema: { params: IdParam } }, async (req) => {
    enforce(policy, req, 'modify_image');
    const { image_id } = req.params as { image_id: string };
    const changes = parseImagePatch(req.headers['content-type'], req.body);
    return imageViewOf(svc, await images.update(callerOf(policy, req), image_id, changes));
  });

  app.delete('/v2/images/:image_id', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'delete_image');
    const { image_id } = req.params as { image_id: string };
    await images.delete(callerOf(policy, req), image_id);
    return reply.code(204).send();
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    app.post(`/v2/images/:image_id/actions/${action}`, { schema: { params: IdParam } }, async (req, reply) => {
      const { image_id } = req.params as { image_id: string };
      const caller = callerOf(policy, req);
      // An image the caller cannot see is a 404 before the policy may answer 403.
      await images.get(caller, image_id);
      enforce(policy, req, action);
      await images[action](caller, image_id);
      return reply.code(204).send();
    });
  }
}
