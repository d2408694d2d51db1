import type { FastifyInstance } from 'fastify';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { MetadefServices } from '../domain/metadef-services.js';
import { registerMetadefNamespaceRoutes } from './metadef-namespace-routes.js';
import { registerMetadefObjectRoutes } from './metadef-object-routes.js';
import { registerMetadefPropertyRoutes } from './metadef-property-routes.js';
import { registerMetadefResourceTypeRoutes } from './metadef-resource-type-routes.js';
import { METADEF_SCHEMAS } from './metadef-schema-docs.js';
import { registerMetadefTagRoutes } from './metadef-tag-routes.js';

/** The metadata definitions catalog: /v2/metadefs/* and its schema documents under /v2/schemas/metadefs/*. */
export function registerMetadefRoutes(app: FastifyInstance, deps: { policy: PolicyEngine; metadefs: MetadefServices }): void {
  for (const [path, doc] of Object.entries(METADEF_SCHEMAS)) app.get(`/v2/schemas/metadefs/${path}`, async () => doc);
  registerMetadefNamespaceRoutes(app, deps);
  registerMetadefObjectRoutes(app, deps);
  registerMetadefPropertyRoutes(app, deps);
  registerMetadefTagRoutes(app, deps);
  registerMetadefResourceTypeRoutes(app, deps);
}
