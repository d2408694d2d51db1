import type { FastifyInstance } from 'fastify';
import { PLACEMENT_MICROVERSIONS } from './route-helpers.js';

/** The public version document at `/`. */
export function registerRootRoutes(app: FastifyInstance): void {
  app.get('/', { config: { public: true } }, async () => ({
    versions: [
      {
        id: 'v1.0',
        max_version: PLACEMENT_MICROVERSIONS.max,
        min_version: PLACEMENT_MICROVERSIONS.min,
        status: 'CURRENT',
        links: [{ rel: 'self', href: '' }],
      },
    ],
  }));
}
