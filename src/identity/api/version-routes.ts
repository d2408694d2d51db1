import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';

/** Keystone Zed speaks identity API v3.14. */
export const IDENTITY_API_VERSION = 'v3.14';
const UPDATED = '2020-04-07T00:00:00Z';

function v3(req: FastifyRequest): Record<string, unknown> {
  return {
    id: IDENTITY_API_VERSION,
    status: 'stable',
    updated: UPDATED,
    links: [{ rel: 'self', href: `${requestBaseUrl(req)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** Version discovery: `/` lists versions (300 Multiple Choices), `/v3` describes v3. */
export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req, reply) => reply.code(300).send({ versions: { values: [v3(req)] } }));
  app.get('/v3', { config: { public: true } }, async (req) => ({ version: v3(req) }));
}
