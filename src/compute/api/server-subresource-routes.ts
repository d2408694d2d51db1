import { addressesOf } from './server-addresses.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../lib/errors.js';
import { assertValid } from '../../lib/http/validation.js';
import { parseTime, dbTime } from '../../lib/time.js';
import type { ServerServices } from '../domain/server-services.js';
import type { InstanceRow } from '../store/server-tables.js';
import { callerOf, enforce } from './route-helpers.js';
import { ServerParam, allowed } from './server-route-context.js';
import { TAG_SCHEMA, metadataBody, tagsBody } from './server-schemas.js';
import { actionView, eventView } from './server-views.js';

type KeyParams = { Params: { server_id: string; key: string } };
type TagParams = { Params: { server_id: string; tag: string } };
type ActionParams = { Params: { server_id: string; request_id: string } };
type ServerParams = { Params: { server_id: string } };

const KeyParam = {
  type: 'object',
  properties: { server_id: { type: 'string' }, key: { type: 'string', maxLength: 255 } },
  required: ['server_id', 'key'],
} as const;
const TagParam = {
  type: 'object',
  properties: { server_id: { type: 'string' }, tag: { type: 'string', maxLength: 255 } },
  required: ['server_id', 'tag'],
} as const;
const ActionParam = {
  type: 'object',
  properties: { server_id: { type: 'string' }, request_id: { type: 'string', maxLength: 255 } },
  required: ['server_id', 'request_id'],
} as const;

const metadataAll = metadataBody('metadata');
const metaOne = metadataBody('meta');
const tagRe = new RegExp(TAG_SCHEMA.pattern);
const noSuchResource = () => notFound('The resource could not be found.');

/** Metadata, tags (2.26), instance actions and the (always empty) password of a server. */
export function registerServerSubresourceRoutes(app: FastifyInstance, s: ServerServices): void {
  const load = async (req: FastifyRequest<{ Params: { server_id: string } }>, rule: string, withDeleted = false): Promise<InstanceRow> => {
    const row = await s.servers.getRow(callerOf(s.policy, req), req.params.server_id, withDeleted);
    enforce(s.policy, req, rule, { project_id: row.project_id });
    return row;
  };
  const caller = (req: FastifyRequest) => callerOf(s.policy, req);
  const metaOf = async (row: InstanceRow) => (await s.servers.store.metadataOf([row.uuid])).get(row.uuid) ?? {};

  // ---------------------------------------------------------------- metadata
  app.get<ServerParams>('/v2.1/servers/:server_id/metadata', { schema: { params: ServerParam } }, async (req) => {
    const row = await load(req, 'os_compute_api:server-metadata:index');
    return { metadata: await metaOf(row) };
  });
  for (const [method, replace] of [
    ['POST', false],
    ['PUT', true],
  ] as const) {
    app.route<ServerParams>({
      method,
      url: '/v2.1/servers/:server_id/metadata',
      schema: { params: ServerParam },
      handler: async (req, reply) => {
        const row = await load(req, `os_compute_api:server-metadata:${replace ? 'update_all' : 'create'}`);
        const { metadata } = assertValid<{ metadata: Record<string, string> }>(metadataAll, req.body);
        s.servers.assertNotLocked(caller(req), row);
        const result = await s.servers.setMetadata(caller(req), row.uuid, metadata, replace);
        reply.code(200);
        return { metadata: replace ? metadata : result };
      },
    });
  }
  app.get<KeyParams>('/v2.1/servers/:server_id/metadata/:key', { schema: { params: KeyParam } }, async (req) => {
    const row = await load(req, 'os_compute_api:server-metadata:show');
    const meta = await metaOf(row);
    if (!Object.hasOwn(meta, req.params.key)) throw notFound('Metadata item was not found', 'metadata_not_found');
    return { meta: { [req.params.key]: meta[req.params.key] } };
  });
  app.put<KeyParams>('/v2.1/servers/:server_id/metadata/:key', { schema: { params: KeyParam } }, async (req) => {
    const row = await load(req, 'os_compute_api:server-metadata:update');
    const { meta } = assertValid<{ meta: Record<string, string> }>(metaOne, req.body);
    const keys = Object.keys(meta);
    if (keys.length !== 1) throw badRequest('Request body contains too many items', 'too_many_items');
    if (keys[0] !== req.params.key) throw badRequest('Request body and URI mismatch', 'uri_mismatch');
    s.servers.assertNotLocked(caller(req), row);
    await s.servers.setMetadata(caller(req), row.uuid, meta, false);
    return { meta };
  });
  app.delete<KeyParams>('/v2.1/servers/:server_id/metadata/:key', { schema: { params: KeyParam } }, async (req, reply) => {
    const row = await load(req, 'os_compute_api:server-metadata:delete');
    s.servers.assertNotLocked(caller(req), row);
    await s.servers.deleteMetadata(caller(req), row.uuid, req.params.key);
    reply.code(204);
  });

  // ---------------------------------------------------------------- ips (the fixed addresses of the server's ports)
  app.get<ServerParams>('/v2.1/servers/:server_id/ips', { schema: { params: ServerParam } }, async (req) => {
    const row = await load(req, 'os_compute_api:ips:index');
    return { addresses: addressesOf(row.network_info, false) };
  });
  app.get<{ Params: { server_id: string; network: string } }>(
    '/v2.1/servers/:server_id/ips/:network',
    { schema: { params: { ...ServerParam, properties: { ...ServerParam.properties, network: { type: 'string', maxLength: 255 } } } } },
    async (req) => {
      const row = await load(req, 'os_compute_api:ips:show');
      const list = addressesOf(row.network_info, false)[req.params.network];
      if (!list) throw notFound('There is no such network in the server.', 'network_not_found');
      return { [req.params.network]: list };
    },
  );

  // ---------------------------------------------------------------- tags (2.26)
  const tagsGate = (req: FastifyRequest) => {
    if (!req.microversion.atLeast('2.26')) throw noSuchResource();
  };
  const tagState = (row: InstanceRow) => {
    if (
      !['active', 'paused', 'suspended', 'stopped', 'shelved', 'shelved_offloaded', 'building', 'error', 'resized', 'rescued'].includes(
        row.vm_state,
      )
    )
      throw badRequest(`Cannot update tags of instance ${row.uuid} in vm_state ${row.vm_state}`);
  };
  app.get<ServerParams>('/v2.1/servers/:server_id/tags', { schema: { params: ServerParam } }, async (req) => {
    tagsGate(req);
    const row = await load(req, 'os_compute_api:os-server-tags:index');
    return { tags: (await s.servers.store.tagsOf([row.uuid])).get(row.uuid) ?? [] };
  });
  app.put<ServerParams>('/v2.1/servers/:server_id/tags', { schema: { params: ServerParam } }, async (req) => {
    tagsGate(req);
    const row = await load(req, 'os_compute_api:os-server-tags:update_all');
    const { tags } = assertValid<{ tags: string[] }>(tagsBody, req.body);
    tagState(row);
    const unique = [...new Set(tags)];
    await s.servers.store.replaceTags(row.uuid, unique);
    return { tags: unique.sort() };
  });
  app.delete<ServerParams>('/v2.1/servers/:server_id/tags', { schema: { params: ServerParam } }, async (req, reply) => {
    tagsGate(req);
    const row = await load(req, 'os_compute_api:os-server-tags:delete_all');
    tagState(row);
    await s.servers.store.deleteTag(row.uuid, undefined);
    reply.code(204);
  });
  app.get<TagParams>('/v2.1/servers/:server_id/tags/:tag', { schema: { params: TagParam } }, async (req, reply) => {
    tagsGate(req);
    const row = await load(req, 'os_compute_api:os-server-tags:show');
    const tags = (await s.servers.store.tagsOf([row.uuid])).get(row.uuid) ?? [];
    if (!tags.includes(req.params.tag)) throw notFound(`Tag ${req.params.tag} could not be found.`, 'tag_not_found');
    reply.code(204);
  });
  app.put<TagParams>('/v2.1/servers/:server_id/tags/:tag', { schema: { params: TagParam } }, async (req, reply) => {
    tagsGate(req);
    const row = await load(req, 'os_compute_api:os-server-tags:update');
    const tag = req.params.tag;
    if (tag.length < 1 || tag.length > 60 || !tagRe.test(tag)) throw badRequest(`Tag '${tag}' is invalid.`, 'invalid_tag');
    tagState(row);
    const tags = (await s.servers.store.tagsOf([row.uuid])).get(row.uuid) ?? [];
    if (tags.includes(tag)) {
      reply.code(204);
      return;
    }
    if (tags.length >= 50) throw badRequest('The number of tags exceeded the per-server limit 50', 'too_many_tags');
    await s.servers.store.addTag(row.uuid, tag);
    reply.code(201);
    reply.header('location', `${req.protocol}://${req.host}/v2.1/servers/${row.uuid}/tags/${encodeURIComponent(tag)}`);
  });
  app.delete<TagParams>('/v2.1/servers/:server_id/tags/:tag', { schema: { params: TagParam } }, async (req, reply) => {
    tagsGate(req);
    const row = await load(req, 'os_compute_api:os-server-tags:delete');
    tagState(row);
    if (!(await s.servers.store.deleteTag(row.uuid, req.params.tag)))
      throw notFound(`Tag ${req.params.tag} could not be found.`, 'tag_not_found');
    reply.code(204);
  });

  // ---------------------------------------------------------------- instance actions
  app.get<ServerParams & { Querystring: Record<string, string | undefined> }>(
    '/v2.1/servers/:server_id/os-instance-actions',
    { schema: { params: ServerParam } },
    async (req) => {
      // 2.21+: actions of deleted servers stay visible.
      const row = await load(req, 'os_compute_api:os-instance-actions:list', req.microversion.atLeast('2.21'));
      const mv = req.microversion;
      const q = req.query ?? {};
      const opts: Parameters<typeof s.servers.store.listActions>[1] = {};
      if (mv.atLeast('2.58')) {
        if (q.limit !== undefined) {
          if (!/^\d+$/.test(q.limit)) throw badRequest(`Invalid input for query parameters limit. Value: ${q.limit}.`);
          opts.limit = Math.min(Number(q.limit), 1000);
        }
        for (const [k, f] of [
          ['changes-since', 'changesSince'],
          ['changes-before', 'changesBefore'],
        ] as const) {
          const v = q[k];
          if (v === undefined || (k === 'changes-before' && !mv.atLeast('2.66'))) continue;
          const d = parseTime(v);
          if (!d) throw badRequest(`Invalid input for query parameters ${k}. Value: ${v}.`);
          opts[f] = dbTime(d);
        }
        if (q.marker !== undefined) {
          const m = await s.servers.store.getAction(row.uuid, q.marker);
          if (!m) throw badRequest(`Marker ${q.marker} could not be found.`, 'marker_not_found');
          opts.marker = m.action;
        }
      }
      const actions = await s.servers.store.listActions(row.uuid, opts);
      const body: Record<string, unknown> = { instanceActions: actions.map((a) => actionView(a, mv)) };
      if (opts.limit !== undefined && actions.length === opts.limit && actions.length > 0) {
        const last = actions[actions.length - 1]!;
        body.links = [
          {
            rel: 'next',
            href: `${req.protocol}://${req.host}/v2.1/servers/${row.uuid}/os-instance-actions?limit=${opts.limit}&marker=${last.request_id}`,
          },
        ];
      }
      return body;
    },
  );
  app.get<ActionParams>('/v2.1/servers/:server_id/os-instance-actions/:request_id', { schema: { params: ActionParam } }, async (req) => {
    const row = await load(req, 'os_compute_api:os-instance-actions:show', req.microversion.atLeast('2.21'));
    const mv = req.microversion;
    const found = await s.servers.store.getAction(row.uuid, req.params.request_id);
    if (!found) throw notFound(`Action ${req.params.request_id} not found`, 'action_not_found');
    const view = actionView(found.action, mv);
    const target = { project_id: row.project_id };
    const details = allowed(s, req, 'os_compute_api:os-instance-actions:events:details', target);
    // Before 2.51 only those allowed to see event details see events at all.
    if (mv.atLeast('2.51') || allowed(s, req, 'os_compute_api:os-instance-actions:events', target)) {
      view.events = found.events.map((e) => eventView(e, row.project_id, { mv, details }));
    }
    return { instanceAction: view };
  });

  // ---------------------------------------------------------- server password
  // The guest posts its password (encrypted with the key pair's public key) to the metadata service.
  app.get<ServerParams>('/v2.1/servers/:server_id/os-server-password', { schema: { params: ServerParam } }, async (req) => {
    const row = await load(req, 'os_compute_api:os-server-password:show');
    return { password: row.password ?? '' };
  });
  app.delete<ServerParams>('/v2.1/servers/:server_id/os-server-password', { schema: { params: ServerParam } }, async (req, reply) => {
    const row = await load(req, 'os_compute_api:os-server-password:clear');
    await s.servers.store.clearPassword(row.uuid);
    reply.code(204);
  });
}
