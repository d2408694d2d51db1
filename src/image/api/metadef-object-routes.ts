import type { FastifyInstance } from 'fastify';
import type { ObjectInput } from '../domain/metadef-models.js';
import { ItemParams, NamespaceParams, ObjectBody, READ_ONLY } from './metadef-bodies.js';
import { namespaceFor, rejectReadOnly, type MetadefRouteDeps } from './metadef-route-helpers.js';
import { objectView } from './metadef-views.js';

const inputOf = (body: unknown): ObjectInput => {
  rejectReadOnly(body as object, READ_ONLY.object);
  const { name, description, required, properties } = body as ObjectInput;
  return { name, description, required, properties };
};

/** /v2/metadefs/namespaces/{namespace}/objects[/{name}] */
export function registerMetadefObjectRoutes(app: FastifyInstance, deps: MetadefRouteDeps): void {
  const { objects } = deps.metadefs;
  const base = '/v2/metadefs/namespaces/:namespace/objects';

  app.get(base, { schema: { params: NamespaceParams } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'get_metadef_objects');
    const list = await objects.list(ns);
    // Glance's list links its schema without the leading slash; clients follow it as Glance wrote it.
    return { objects: list.map((o) => objectView(ns.namespace, o)), schema: 'v2/schemas/metadefs/objects' };
  });

  app.post(base, { schema: { params: NamespaceParams, body: ObjectBody } }, async (req, reply) => {
    const input = inputOf(req.body);
    const ns = await namespaceFor(deps, req, 'add_metadef_object');
    return reply.code(201).send(objectView(ns.namespace, await objects.create(ns, input)));
  });

  app.get(`${base}/:name`, { schema: { params: ItemParams } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'get_metadef_object');
    return objectView(ns.namespace, await objects.get(ns, (req.params as { name: string }).name));
  });

  app.put(`${base}/:name`, { schema: { params: ItemParams, body: ObjectBody } }, async (req) => {
    const input = inputOf(req.body);
    const ns = await namespaceFor(deps, req, 'modify_metadef_object');
    return objectView(ns.namespace, await objects.update(ns, (req.params as { name: string }).name, input));
  });

  app.delete(`${base}/:name`, { schema: { params: ItemParams } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'delete_metadef_object');
    await objects.delete(ns, (req.params as { name: string }).name);
    return reply.code(204).send();
  });
}
