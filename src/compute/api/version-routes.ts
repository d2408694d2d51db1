import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';
import { COMPUTE_MICROVERSIONS } from './microversion.js';

function v21(req: FastifyRequest): Record<string, unknown> {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: COMPUTE_MICROVERSIONS.max,
    min_version: COMPUTE_MICROVERSIONS.min,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${requestBaseUrl(req)}/v2.1/` }],
  };
}

/** `GET /` (every version) and `GET /v2.1` (this one, with media types), both public as in Nova. */
export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req) => ({ versions: [v21(req)] }));
  const one = async (req: FastifyRequest) => {
    const v = v21(req);
    return {
      version: {
        ...v,
        links: [...(v.links as object[]), { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
      },
    };
  };
  // The router ignores trailing slashes: this serves /v2.1/ too.
  app.get('/v2.1', { config: { public: true } }, one);
}
