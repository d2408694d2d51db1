import type { FastifyInstance } from 'fastify';
import { AssociationBody, ItemParams, NamespaceParams, READ_ONLY } from './metadef-bodies.js';
import { namespaceFor, rejectReadOnly, type MetadefRouteDeps } from './metadef-route-helpers.js';
import { associationView, resourceTypeView } from './metadef-views.js';
import { enforce } from './route-helpers.js';

/** /v2/metadefs/resource_types and /v2/metadefs/namespaces/{namespace}/resource_types[/{name}] */
export function registerMetadefResourceTypeRoutes(app: FastifyInstance, deps: MetadefRouteDeps): void {
  const { resourceTypes } = deps.metadefs;
  const base = '/v2/metadefs/namespaces/:namespace/resource_types';

  app.get('/v2/metadefs/resource_types', async (req) => {
    enforce(deps.policy, req, 'list_metadef_resource_types');
    return { resource_types: (await resourceTypes.listTypes()).map(resourceTypeView) };
  });

  app.get(base, { schema: { params: NamespaceParams } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'list_metadef_resource_types');
    return { resource_type_associations: (await resourceTypes.associations(ns)).map(associationView) };
  });

  app.post(base, { schema: { params: NamespaceParams, body: AssociationBody } }, async (req, reply) => {
    rejectReadOnly(req.body as object, READ_ONLY.other);
    const ns = await namespaceFor(deps, req, 'add_metadef_resource_type_association');
    const b = req.body as { name: string; prefix?: string; properties_target?: string };
    const a = await resourceTypes.associate(ns, { name: b.name, prefix: b.prefix, propertiesTarget: b.properties_target });
    return reply.code(201).send(associationView(a));
  });

  app.delete(`${base}/:name`, { schema: { params: ItemParams } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'remove_metadef_resource_type_association');
    await resourceTypes.dissociate(ns, (req.params as { name: string }).name);
    return reply.code(204).send();
  });
}
