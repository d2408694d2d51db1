import type { FastifyInstance } from 'fastify';
import type { PropertyInput } from '../domain/metadef-models.js';
import { ItemParams, NamespaceParams, PropertyBody, READ_ONLY, ResourceTypeQuery } from './metadef-bodies.js';
import { authorize, namespaceFor, rejectReadOnly, type MetadefRouteDeps } from './metadef-route-helpers.js';
import { propertiesView, propertyView } from './metadef-views.js';

const inputOf = (body: unknown): PropertyInput => {
  rejectReadOnly(body as object, READ_ONLY.other);
  const { name, ...definition } = body as Record<string, unknown> & { name: string };
  return { name, definition };
};

/** /v2/metadefs/namespaces/{namespace}/properties[/{name}] */
export function registerMetadefPropertyRoutes(app: FastifyInstance, deps: MetadefRouteDeps): void {
  const { properties } = deps.metadefs;
  const base = '/v2/metadefs/namespaces/:namespace/properties';

  app.get(base, { schema: { params: NamespaceParams } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'get_metadef_properties');
    return { properties: propertiesView(await properties.list(ns)) };
  });

  app.post(base, { schema: { params: NamespaceParams, body: PropertyBody } }, async (req, reply) => {
    const input = inputOf(req.body);
    const ns = await namespaceFor(deps, req, 'add_metadef_property');
    return reply.code(201).send(propertyView(await properties.create(ns, input)));
  });

  app.get(`${base}/:name`, { schema: { params: ItemParams, querystring: ResourceTypeQuery } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'get_metadef_property');
    const { resource_type } = req.query as { resource_type?: string };
    if (resource_type !== undefined) authorize(deps.policy, req, 'get_metadef_resource_type', ns);
    const { name } = req.params as { name: string };
    const p = await properties.get(ns, name, resource_type);
    // Shown under the name it was asked by: the prefixed one when a resource type was given.
    return propertyView({ ...p, name });
  });

  app.put(`${base}/:name`, { schema: { params: ItemParams, body: PropertyBody } }, async (req) => {
    const input = inputOf(req.body);
    const ns = await namespaceFor(deps, req, 'modify_metadef_property');
    return propertyView(await properties.update(ns, (req.params as { name: string }).name, input));
  });

  app.delete(`${base}/:name`, { schema: { params: ItemParams } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'remove_metadef_property');
    await properties.delete(ns, (req.params as { name: string }).name);
    return reply.code(204).send();
  });
}
