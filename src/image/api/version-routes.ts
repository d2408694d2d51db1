import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';

/**
 * The versions Glance Zed lists with a single store and no image cache API:
 * 2.10-2.13 (multiple stores, tasks of an image) and 2.14 (cache API) are
 * left out because this service does not serve them.
 */
const MINORS = [16, 15, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

function versions(req: FastifyRequest): unknown {
  const href = `${requestBaseUrl(req)}/v2/`;
  return {
    versions: MINORS.map((minor, i) => ({ id: `v2.${minor}`, status: i === 0 ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href }] })),
  };
}

/** `/` (300 Multiple Choices, as Glance) and `/versions`. */
export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req, reply) => reply.code(300).send(versions(req)));
  app.get('/versions', { config: { public: true } }, async (req) => versions(req));
}
