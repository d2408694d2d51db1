import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { TagSortKey } from '../domain/metadef-models.js';
import { ItemParams, NamespaceParams, READ_ONLY, TagBody, TagListQuery, TagsBody } from './metadef-bodies.js';
import { headerFlag, namespaceFor, rejectReadOnly, type MetadefRouteDeps } from './metadef-route-helpers.js';
import { tagView } from './metadef-views.js';

/** /v2/metadefs/namespaces/{namespace}/tags[/{name}] */
export function registerMetadefTagRoutes(app: FastifyInstance, deps: MetadefRouteDeps): void {
  const { tags } = deps.metadefs;
  const base = '/v2/metadefs/namespaces/:namespace/tags';

  app.get(base, { schema: { params: NamespaceParams, querystring: TagListQuery } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'get_metadef_tags');
    const q = req.query as { limit?: number; marker?: string; sort_key?: TagSortKey; sort_dir?: 'asc' | 'desc' };
    const list = await tags.list(ns, {
      // Glance treats limit=0 as no limit.
      limit: q.limit || undefined,
      marker: q.marker || undefined,
      sortKey: q.sort_key ?? 'created_at',
      sortDir: q.sort_dir ?? 'desc',
    });
    return { tags: list.map((t) => ({ name: t.name })) };
  });

  // Replaces the namespace's tags, or adds to them with X-Openstack-Append: true.
  app.post(base, { schema: { params: NamespaceParams, body: TagsBody } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'add_metadef_tags');
    const names = (req.body as { tags: { name: string }[] }).tags.map((t) => t.name);
    const created = await tags.createMany(ns, names, headerFlag(req.headers['x-openstack-append']));
    return reply.code(201).send({ tags: created.map((t) => ({ name: t.name })) });
  });

  app.post(`${base}/:name`, { schema: { params: ItemParams } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'add_metadef_tag');
    const { name } = req.params as { name: string };
    if (name.length > 80) throw badRequest(`Invalid tag name '${name}': must be at most 80 characters.`);
    return reply.code(201).send(tagView(await tags.create(ns, name)));
  });

  app.get(`${base}/:name`, { schema: { params: ItemParams } }, async (req) => {
    const ns = await namespaceFor(deps, req, 'get_metadef_tag');
    return tagView(await tags.get(ns, (req.params as { name: string }).name));
  });

  app.put(`${base}/:name`, { schema: { params: ItemParams, body: TagBody } }, async (req) => {
    rejectReadOnly(req.body as object, READ_ONLY.other);
    const ns = await namespaceFor(deps, req, 'modify_metadef_tag');
    return tagView(await tags.update(ns, (req.params as { name: string }).name, (req.body as { name: string }).name));
  });

  app.delete(`${base}/:name`, { schema: { params: ItemParams } }, async (req, reply) => {
    const ns = await namespaceFor(deps, req, 'delete_metadef_tag');
    await tags.delete(ns, (req.params as { name: string }).name);
    return reply.code(204).send();
  });
}
