import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';
import { COMPUTE_MICROVERSIONS } from './microversion.js';

interface VersionDoc {
  id: string;
  status: string;
  version: string;
  min_version: string;
  updated: string;
  path: string;
  mediaType: string;
}

/**
 * Nova lists the legacy v2.0 API first (clients and Tempest's
 * test_list_api_versions expect it) and v2.1 with its microversion range.
 * Kumo serves only v2.1; the v2.0 entry is its version document, as Nova's.
 */
const VERSIONS: readonly VersionDoc[] = [
  {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    path: 'v2',
    mediaType: 'application/vnd.openstack.compute+json;version=2',
  },
  {
    id: 'v2.1',
    status: 'CURRENT',
    version: COMPUTE_MICROVERSIONS.max,
    min_version: COMPUTE_MICROVERSIONS.min,
    updated: '2013-07-23T11:33:21Z',
    path: 'v2.1',
    mediaType: 'application/vnd.openstack.compute+json;version=2.1',
  },
];

function summary(req: FastifyRequest, v: VersionDoc): Record<string, unknown> {
  return {
    id: v.id,
    status: v.status,
    version: v.version,
    min_version: v.min_version,
    updated: v.updated,
    links: [{ rel: 'self', href: `${requestBaseUrl(req)}/${v.path}/` }],
  };
}

function detail(req: FastifyRequest, v: VersionDoc): Record<string, unknown> {
  const s = summary(req, v);
  return {
    version: {
      ...s,
      links: [...(s.links as object[]), { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
      'media-types': [{ base: 'application/json', type: v.mediaType }],
    },
  };
}

/** `GET /` (every version), `GET /v2` and `GET /v2.1` (one each, with media types), all public as in Nova. */
export function registerVersionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async (req) => ({ versions: VERSIONS.map((v) => summary(req, v)) }));
  // The router ignores trailing slashes: these serve /v2/ and /v2.1/ too.
  for (const v of VERSIONS) app.get(`/${v.path}`, { config: { public: true } }, async (req) => detail(req, v));
}
