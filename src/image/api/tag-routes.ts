import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ImageServices } from '../domain/image-services.js';
import { callerOf, enforce } from './route-helpers.js';

const Params = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }), tag: Type.String({ minLength: 1 }) });

/** /v2/images/{id}/tags/{tag} */
export function registerTagRoutes(app: FastifyInstance, svc: ImageServices): void {
  const { policy, images } = svc;

  app.put('/v2/images/:image_id/tags/:tag', { schema: { params: Params } }, async (req, reply) => {
    enforce(policy, req, 'add_image_tag');
    const { image_id, tag } = req.params as { image_id: string; tag: string };
    await images.addTag(callerOf(policy, req), image_id, tag);
    return reply.code(204).send();
  });

  app.delete('/v2/images/:image_id/tags/:tag', { schema: { params: Params } }, async (req, reply) => {
    enforce(policy, req, 'delete_image_tag');
    const { image_id, tag } = req.params as { image_id: string; tag: string };
    await images.deleteTag(callerOf(policy, req), image_id, tag);
    return reply.code(204).send();
  });
}
