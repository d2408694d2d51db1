import type { FastifyInstance } from 'fastify';
import type { ImageServices } from '../domain/image-services.js';
import { IMAGE_SCHEMA, IMAGES_SCHEMA, MEMBER_SCHEMA, MEMBERS_SCHEMA } from './image-schemas.js';

/** `/v2/schemas/{image,images,member,members}` (metadef schemas are served with the metadefs). */
export function registerSchemaRoutes(app: FastifyInstance, _svc: ImageServices): void {
  app.get('/v2/schemas/image', async () => IMAGE_SCHEMA);
  app.get('/v2/schemas/images', async () => IMAGES_SCHEMA);
  app.get('/v2/schemas/member', async () => MEMBER_SCHEMA);
  app.get('/v2/schemas/members', async () => MEMBERS_SCHEMA);
}
