import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';
import { KumoError } from '../../lib/errors.js';
import { notAuthorized, badRequestOf, notFoundOf } from '../domain/errors.js';
import type { NetworkServices } from '../domain/network-services.js';
import { QUOTA_KINDS } from '../domain/quota-service.js';
import { cidrSize, parseCidr, parseIp } from '../domain/ip-math.js';
import type { PortBody, SubnetBody } from '../domain/models.js';
import type { ResourceKind, Stored } from '../store/resource-store.js';
import { EXTENSIONS } from './extensions.js';
import { listBody } from './list-query.js';
import { callerOf } from './route-helpers.js';
import { owns, type NetworkCaller } from '../domain/caller.js';

const UPDATED = '2022-10-05T10:00:00-00:00';
const extensionView = (e: (typeof EXTENSIONS)[number]) => ({ ...e, updated: UPDATED, links: [] });

/** Collections that carry tags, with the kind behind each. */
const TAGGED: Record<string, ResourceKind> = {
  networks: 'network',
  subnets: 'subnet',
  subnetpools: 'subnetpool',
  ports: 'port',
  routers: 'router',
  floatingips: 'floatingip',
  'security-groups': 'security_group',
};

export function registerMiscRoutes(app: FastifyInstance, s: NetworkServices): void {
  app.get('/', { config: { public: true } }, async (req) => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${requestBaseUrl(req)}/v2.0/` }] }],
  }));
  app.get('/v2.0', async (req) => ({
    resources: ['subnet', 'network', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule'].map((name) => {
      const collection =
        name === 'security_group' ? 'security-groups' : name === 'security_group_rule' ? 'security-group-rules' : `${name}s`;
      return { name, collection, links: [{ rel: 'self', href: `${requestBaseUrl(req)}/v2.0/${collection}` }] };
    }),
  }));
  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(extensionView) }));
  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const e = EXTENSIONS.find((x) => x.alias === req.params.alias);
    if (!e) throw new KumoError('extension_not_found', 404, `Extension with alias ${req.params.alias} does not exist`);
    return { extension: extensionView(e) };
  });

  // ---- quotas
  const quotaTarget = (req: FastifyRequest<{ Params: { project: string } }>): string => {
    const caller = callerOf(s.policy, req);
    if (!caller.isAdmin && caller.projectId !== req.params.project) throw notAuthorized('get_quota');
    return req.params.project;
  };
  app.get('/v2.0/quotas', async (req) => {
    if (!callerOf(s.policy, req).isAdmin) throw notAuthorized('get_quota');
    const rows = await s.store.db.selectFrom('network_quotas').select('project_id').distinct().execute();
    const quotas = [];
    for (const r of rows) quotas.push({ ...(await s.quotas.limits(r.project_id)), project_id: r.project_id, tenant_id: r.project_id });
    return { quotas };
  });
  app.get<{ Params: { project: string } }>('/v2.0/quotas/:project', async (req) => ({ quota: await s.quotas.limits(quotaTarget(req)) }));
  app.get<{ Params: { project: string } }>('/v2.0/quotas/:project/default', async (req) => {
    quotaTarget(req);
    return { quota: s.quotas.defaults() };
  });
  app.get<{ Params: { project: string } }>('/v2.0/quotas/:project/details', async (req) => {
    const project = quotaTarget(req);
    const limits = await s.quotas.limits(project);
    const used = await s.quotas.usage(project);
    return { quota: Object.fromEntries(Object.entries(limits).map(([k, limit]) => [k, { limit, used: used[k] ?? 0, reserved: 0 }])) };
  });
  app.put<{ Params: { project: string } }>('/v2.0/quotas/:project', async (req) => {
    if (!callerOf(s.policy, req).isAdmin) throw notAuthorized('update_quota');
    const body = (req.body as { quota?: Record<string, unknown> } | undefined)?.quota;
    if (!body || typeof body !== 'object') throw badRequestOf("Unable to find 'quota' in request body");
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(body)) {
      if (!(k in QUOTA_KINDS) && k !== 'rbac_policy') throw badRequestOf(`Unrecognized attribute(s) '${k}'`);
      const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < -1)
        throw badRequestOf(`Invalid input for ${k}. Reason: '${String(v)}' is not an integer or -1.`);
      values[k] = n;
    }
    await s.quotas.update(req.params.project, values);
    return { quota: await s.quotas.limits(req.params.project) };
  });
  app.delete<{ Params: { project: string } }>('/v2.0/quotas/:project', async (req, reply) => {
    if (!callerOf(s.policy, req).isAdmin) throw notAuthorized('delete_quota');
    await s.quotas.reset(req.params.project);
    return reply.code(204).send();
  });

  // ---- tags
  type TagParams = { Params: { collection: string; id: string; tag?: string } };
  const tagged = async (req: FastifyRequest<TagParams>, write: boolean): Promise<Stored<{ tags: string[] }> & { kind: ResourceKind }> => {
    const kind = TAGGED[req.params.collection];
    if (!kind) throw notFoundOf('resource', req.params.collection);
    const caller = callerOf(s.policy, req);
    const r = await visibleOf(s, caller, kind, req.params.id);
    if (write && !owns(caller, r.projectId)) throw notAuthorized(`update_${kind}:tags`);
    return { ...(r as Stored<{ tags: string[] }>), kind };
  };
  const saveTags = async (r: Stored<{ tags: string[] }> & { kind: ResourceKind }, tags: string[]): Promise<void> => {
    await s.store.update(r.kind, r.id, { ...r.body, tags });
  };
  const checkTag = (t: string): string => {
    if (t.length === 0 || t.length > 255 || t.includes(',') || t.includes('/'))
      throw badRequestOf(`Invalid input for operation: '${t}' is not a valid tag.`);
    return t;
  };
  app.get<TagParams>('/v2.0/:collection/:id/tags', async (req) => ({ tags: (await tagged(req, false)).body.tags ?? [] }));
  app.get<TagParams>('/v2.0/:collection/:id/tags/:tag', async (req, reply) => {
    const r = await tagged(req, false);
    if (!(r.body.tags ?? []).includes(req.params.tag!)) throw tagNotFound(req.params.tag!, r.kind, r.id);
    return reply.code(204).send();
  });
  app.put<TagParams>('/v2.0/:collection/:id/tags', async (req) => {
    const r = await tagged(req, true);
    const tags = (req.body as { tags?: unknown } | undefined)?.tags;
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))
      throw badRequestOf("Invalid input for operation: 'tags' must be a list of strings.");
    const unique = [...new Set((tags as string[]).map(checkTag))];
    await saveTags(r, unique);
    return { tags: unique };
  });
  app.put<TagParams>('/v2.0/:collection/:id/tags/:tag', async (req, reply) => {
    const r = await tagged(req, true);
    const tag = checkTag(req.params.tag!);
    const tags = r.body.tags ?? [];
    if (!tags.includes(tag)) await saveTags(r, [...tags, tag]);
    return reply.code(201).send();
  });
  app.delete<TagParams>('/v2.0/:collection/:id/tags', async (req, reply) => {
    await saveTags(await tagged(req, true), []);
    return reply.code(204).send();
  });
  app.delete<TagParams>('/v2.0/:collection/:id/tags/:tag', async (req, reply) => {
    const r = await tagged(req, true);
    const tags = r.body.tags ?? [];
    if (!tags.includes(req.params.tag!)) throw tagNotFound(req.params.tag!, r.kind, r.id);
    await saveTags(
      r,
      tags.filter((t) => t !== req.params.tag),
    );
    return reply.code(204).send();
  });

  // ---- network IP availability (admin)
  const availability = async (networkIds?: string[]) => {
    const nets = await s.store.list<{ name: string }>('network', networkIds ? { ids: networkIds } : {});
    const subnets = await s.store.list<SubnetBody>('subnet');
    const ports = await s.store.list<PortBody>('port');
    return nets.map((n) => {
      const subs = subnets.filter((x) => x.parentId === n.id);
      const subnetViews = subs.map((sub) => {
        const used = ports.reduce((acc, p) => acc + p.body.fixed_ips.filter((f) => f.subnet_id === sub.id).length, 0);
        let total = 0n;
        for (const pool of sub.body.allocation_pools) total += parseIp(pool.end)!.value - parseIp(pool.start)!.value + 1n;
        if (sub.body.allocation_pools.length === 0) total = cidrSize(parseCidr(sub.body.cidr)!);
        return {
          subnet_id: sub.id,
          subnet_name: sub.body.name,
          cidr: sub.body.cidr,
          ip_version: sub.body.ip_version,
          used_ips: used,
          total_ips: Number(total > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : total),
        };
      });
      return {
        network_id: n.id,
        network_name: n.body.name,
        tenant_id: n.projectId,
        project_id: n.projectId,
        used_ips: subnetViews.reduce((a, x) => a + x.used_ips, 0),
        total_ips: subnetViews.reduce((a, x) => a + x.total_ips, 0),
        subnet_ip_availability: subnetViews,
      };
    });
  };
  app.get('/v2.0/network-ip-availabilities', async (req) => {
    if (!callerOf(s.policy, req).isAdmin) throw notAuthorized('get_network_ip_availability');
    return listBody(req, 'network_ip_availabilities', '/v2.0/network-ip-availabilities', await availability());
  });
  app.get<{ Params: { id: string } }>('/v2.0/network-ip-availabilities/:id', async (req) => {
    if (!callerOf(s.policy, req).isAdmin) throw notAuthorized('get_network_ip_availability');
    const [one] = await availability([req.params.id]);
    if (!one) throw notFoundOf('network', req.params.id);
    return { network_ip_availability: one };
  });

  app.get('/v2.0/availability_zones', async (req) =>
    listBody(req, 'availability_zones', '/v2.0/availability_zones', [
      { name: 'nova', resource: 'network', state: 'available' },
      { name: 'nova', resource: 'router', state: 'available' },
    ]),
  );
}

const tagNotFound = (tag: string, kind: string, id: string): KumoError =>
  new KumoError('tag_not_found', 404, `Tag ${tag} could not be found for ${kind} ${id}.`);

/** A resource of any tagged kind, if the caller may see it. */
async function visibleOf(s: NetworkServices, caller: NetworkCaller, kind: ResourceKind, id: string): Promise<Stored<unknown>> {
  switch (kind) {
    case 'network':
      return s.networks.visible(caller, id);
    case 'subnet':
      return s.subnets.visible(caller, id);
    case 'port':
      return s.ports.visible(caller, id);
    case 'router':
      return s.routers.visible(caller, id);
    case 'floatingip':
      return s.floatingIps.visible(caller, id);
    case 'subnetpool':
      return s.subnetPools.visible(caller, id);
    default:
      return s.groups.visible(caller, id);
  }
}
