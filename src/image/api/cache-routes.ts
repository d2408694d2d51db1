import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ImageCache } from '../domain/image-cache.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { callerOf, enforce } from './route-helpers.js';

const IdParam = Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 255 }) });
const epoch = (d: Date): number => d.getTime() / 1000;

/** `/v2/cache` (Glance API 2.14), admin only through `manage_image_cache`. */
export function registerCacheRoutes(app: FastifyInstance, policy: PolicyEngine, cache: ImageCache): void {
  app.get('/v2/cache', async (req) => {
    enforce(policy, req, 'manage_image_cache');
    const { queued, cached } = cache.list();
    return {
      cached_images: cached.map((c) => ({
        image_id: c.imageId,
        hits: c.hits,
        last_accessed: epoch(c.lastAccessed),
        last_modified: epoch(c.cachedAt),
        size: c.size,
      })),
      queued_images: queued,
    };
  });

  app.put('/v2/cache/:image_id', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'manage_image_cache');
    await cache.queue(callerOf(policy, req), (req.params as { image_id: string }).image_id);
    return reply.code(202).send();
  });

  app.delete('/v2/cache/:image_id', { schema: { params: IdParam } }, async (req, reply) => {
    enforce(policy, req, 'manage_image_cache');
    await cache.delete(callerOf(policy, req), (req.params as { image_id: string }).image_id);
    return reply.code(204).send();
  });

  app.delete('/v2/cache', async (req, reply) => {
    enforce(policy, req, 'manage_image_cache');
    const target = req.headers['x-image-cache-clear-target'];
    await cache.clear(typeof target === 'string' ? target.trim().toLowerCase() : '');
    return reply.code(204).send();
  });
}
