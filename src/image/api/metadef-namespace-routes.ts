import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NamespaceCreateInput, NamespaceInput, NamespaceSortKey, PropertyDefinition } from '../domain/metadef-models.js';
import { NamespaceBody, NamespaceListQuery, NamespaceParams, READ_ONLY, ResourceTypeQuery } from './metadef-bodies.js';
import { authorize, namespaceFor, rejectReadOnly, type MetadefRouteDeps } from './metadef-route-helpers.js';
import { listedNamespaceView, namespaceDetailView, namespaceHref, namespaceView } from './metadef-views.js';
import { callerOf, enforce } from './route-helpers.js';

interface NamespaceJson {
  namespace: string;
  display_name?: string;
  description?: string;
  visibility?: 'public' | 'private';
  protected?: boolean;
  owner?: string;
  resource_type_associations?: { name: string; prefix?: string; properties_target?: string }[];
  properties?: Record<string, PropertyDefinition & { name?: string }>;
  objects?: { name: string; description?: string; required?: string[]; properties?: Record<string, PropertyDefinition> }[];
  tags?: { name: string }[];
}

interface ListQueryJson {
  limit?: number;
  marker?: string;
  sort_key?: NamespaceSortKey;
  sort_dir?: 'asc' | 'desc';
  visibility?: 'public' | 'private';
  resource_types?: string;
}

const attributesOf = (b: NamespaceJson): NamespaceInput => ({
  namespace: b.namespace,
  displayName: b.display_name,
  description: b.description,
  visibility: b.visibility,
  protected: b.protected,
  owner: b.owner,
});

/** A definition inside a namespace is keyed by its name; a `name` inside it is redundant and dropped. */
const definitionOf = (d: PropertyDefinition & { name?: string }): PropertyDefinition => {
  const { name: _name, ...rest } = d;
  return rest;
};

/** Query of the list, without `marker`, for the `first` and `next` links. */
function pageQuery(req: FastifyRequest): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
    if (k !== 'marker' && v !== undefined) params.append(k, String(v));
  }
  return params;
}

/** /v2/metadefs/namespaces and /v2/metadefs/namespaces/{namespace}. */
export function registerMetadefNamespaceRoutes(app: FastifyInstance, deps: MetadefRouteDeps): void {
  const { policy, metadefs } = deps;

  app.get('/v2/metadefs/namespaces', { schema: { querystring: NamespaceListQuery } }, async (req) => {
    enforce(policy, req, 'get_metadef_namespaces');
    enforce(policy, req, 'list_metadef_resource_types');
    const q = req.query as ListQueryJson;
    const { limitDefault, limitMax } = metadefs.limits;
    const page = await metadefs.namespaces.list(callerOf(policy, req), {
      limit: Math.min(q.limit ?? limitDefault, limitMax),
      marker: q.marker,
      sortKey: q.sort_key ?? 'created_at',
      sortDir: q.sort_dir ?? 'desc',
      visibility: q.visibility,
      resourceTypes: q.resource_types === undefined ? undefined : q.resource_types.split(',').filter((t) => t !== ''),
    });
    const params = pageQuery(req);
    const query = params.toString();
    const body: Record<string, unknown> = {
      namespaces: page.namespaces.map(listedNamespaceView),
      first: query ? `/v2/metadefs/namespaces?${query}` : '/v2/metadefs/namespaces',
      schema: '/v2/schemas/metadefs/namespaces',
    };
    if (page.next !== undefined) {
      params.append('marker', page.next);
      body.next = `/v2/metadefs/namespaces?${params.toString()}`;
    }
    return body;
  });

  app.post('/v2/metadefs/namespaces', { schema: { body: NamespaceBody } }, async (req, reply) => {
    const b = req.body as NamespaceJson;
    rejectReadOnly(b, READ_ONLY.namespace);
    enforce(policy, req, 'add_metadef_namespace');
    // Creating contents along with the namespace needs the right to create each kind.
    if (b.resource_type_associations?.length) enforce(policy, req, 'add_metadef_resource_type_association');
    if (b.objects?.length) enforce(policy, req, 'add_metadef_object');
    if (b.properties && Object.keys(b.properties).length > 0) enforce(policy, req, 'add_metadef_property');
    if (b.tags?.length) enforce(policy, req, 'add_metadef_tag');
    const input: NamespaceCreateInput = {
      ...attributesOf(b),
      resourceTypeAssociations: b.resource_type_associations?.map((a) => ({
        name: a.name,
        prefix: a.prefix,
        propertiesTarget: a.properties_target,
      })),
      properties: b.properties && Object.fromEntries(Object.entries(b.properties).map(([k, d]) => [k, definitionOf(d)])),
      objects: b.objects,
      tags: b.tags?.map((t) => t.name),
    };
    const detail = await metadefs.namespaces.create(callerOf(policy, req), input);
    return reply.code(201).header('location', namespaceHref(detail.namespace.namespace)).send(namespaceDetailView(detail));
  });

  app.get('/v2/metadefs/namespaces/:namespace', { schema: { params: NamespaceParams, querystring: ResourceTypeQuery } }, async (req) => {
    const ns = await namespaceFor(deps, req);
    for (const action of ['list_metadef_resource_types', 'get_metadef_objects', 'get_metadef_properties', 'get_metadef_tags']) {
      authorize(policy, req, action, ns);
    }
    const { resource_type } = req.query as { resource_type?: string };
    return namespaceDetailView(await metadefs.namespaces.detail(ns, resource_type));
  });

  app.put('/v2/metadefs/namespaces/:namespace', { schema: { params: NamespaceParams, body: NamespaceBody } }, async (req) => {
    const b = req.body as NamespaceJson;
    rejectReadOnly(b, READ_ONLY.namespace);
    const ns = await namespaceFor(deps, req, 'modify_metadef_namespace');
    return namespaceView(await metadefs.namespaces.update(callerOf(policy, req), ns, attributesOf(b)));
  });

  app.delete('/v2/metadefs/namespaces/:namespace', { schema: { params: NamespaceParams } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'delete_metadef_namespace');
    await metadefs.namespaces.delete(ns);
    return reply.code(204).send();
  });

  // Emptying a part of a namespace is, to Glance's policy, a partial delete of the namespace.
  const parts = [
    ['objects', ['delete_metadef_namespace']],
    ['properties', ['delete_metadef_namespace']],
    ['tags', ['delete_metadef_namespace', 'delete_metadef_tags']],
  ] as const;
  for (const [part, actions] of parts) {
    app.delete(`/v2/metadefs/namespaces/:namespace/${part}`, { schema: { params: NamespaceParams } }, async (req, reply) => {
      const ns = await namespaceFor(deps, req, ...actions);
      await metadefs.namespaces.deleteContents(ns, part);
      return reply.code(204).send();
    });
  }
}
