import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { ResourceServicesImpl } from '../domain/resource-services-impl.js';
import type { ServerGroup, ServerGroupPolicy } from '../domain/resource-services.js';
import { NAME, allowed, bodyValidator, intParam, param, queryOf } from './resource-route-helpers.js';
import { callerOf, enforce } from './route-helpers.js';

type IdParams = { Params: { id: string } };

function view(req: FastifyRequest, g: ServerGroup): Record<string, unknown> {
  const mv = req.microversion;
  const out: Record<string, unknown> = { id: g.id, name: g.name };
  if (mv.atLeast('2.64')) {
    out.policy = g.policy;
    out.rules = g.rules;
  } else {
    out.policies = [g.policy];
    out.metadata = {};
  }
  out.members = g.members;
  if (mv.atLeast('2.13')) {
    out.project_id = g.projectId;
    out.user_id = g.userId;
  }
  return out;
}

function createSchema(mv: { atLeast(v: string): boolean }): object {
  const policies = mv.atLeast('2.15')
    ? ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']
    : ['anti-affinity', 'affinity'];
  const group = mv.atLeast('2.64')
    ? {
        type: 'object',
        properties: {
          name: NAME,
          policy: { type: 'string', enum: policies },
          rules: {
            type: 'object',
            properties: { max_server_per_host: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 } },
            additionalProperties: false,
          },
        },
        required: ['name', 'policy'],
        additionalProperties: false,
      }
    : {
        type: 'object',
        properties: {
          name: NAME,
          policies: { type: 'array', items: { type: 'string', enum: policies }, minItems: 1, maxItems: 1, uniqueItems: true },
        },
        required: ['name', 'policies'],
        additionalProperties: false,
      };
  return { type: 'object', properties: { server_group: group }, required: ['server_group'], additionalProperties: false };
}

/** os-server-groups. */
export function registerServerGroupRoutes(app: FastifyInstance, s: ResourceServicesImpl): void {
  const { policy, serverGroups } = s;
  const validate = bodyValidator();

  app.get('/v2.1/os-server-groups', async (req) => {
    const caller = callerOf(policy, req);
    enforce(policy, req, 'os_compute_api:os-server-groups:index', { project_id: caller.projectId ?? '' });
    const q = queryOf(req);
    const all = (param(q, 'all_projects') ?? 'false').toLowerCase();
    const allProjects =
      ['true', '1', 'yes', 't', 'on', 'y'].includes(all) && allowed(policy, req, 'os_compute_api:os-server-groups:index:all_projects');
    const groups = await serverGroups.list(caller, allProjects, intParam(q, 'limit', 0), intParam(q, 'offset', 0));
    return { server_groups: groups.map((g) => view(req, g)) };
  });

  app.get<IdParams>('/v2.1/os-server-groups/:id', async (req) => {
    const caller = callerOf(policy, req);
    const g = await serverGroups.get(caller, req.params.id);
    enforce(policy, req, 'os_compute_api:os-server-groups:show', { project_id: g.projectId });
    return { server_group: view(req, g) };
  });

  app.post('/v2.1/os-server-groups', async (req) => {
    const caller = callerOf(policy, req);
    enforce(policy, req, 'os_compute_api:os-server-groups:create', { project_id: caller.projectId ?? '' });
    const mv = req.microversion;
    const key = mv.atLeast('2.64') ? 'v64' : mv.atLeast('2.15') ? 'v15' : 'v1';
    const { server_group: b } = validate<{
      server_group: {
        name: string;
        policies?: ServerGroupPolicy[];
        policy?: ServerGroupPolicy;
        rules?: { max_server_per_host?: number | string };
      };
    }>(key, () => createSchema(mv), req.body);
    const rules: { max_server_per_host?: number } = {};
    if (b.rules?.max_server_per_host !== undefined) {
      const n = Number(b.rules.max_server_per_host);
      if (!Number.isInteger(n) || n < 1) throw badRequest('Invalid input for field/attribute max_server_per_host.');
      rules.max_server_per_host = n;
    }
    const g = await serverGroups.create(caller, { name: b.name, policy: (b.policy ?? b.policies![0])!, rules });
    return { server_group: view(req, g) };
  });

  app.delete<IdParams>('/v2.1/os-server-groups/:id', async (req, reply) => {
    const caller = callerOf(policy, req);
    const g = await serverGroups.get(caller, req.params.id);
    enforce(policy, req, 'os_compute_api:os-server-groups:delete', { project_id: g.projectId });
    await serverGroups.delete(caller, g.id);
    return reply.code(204).send();
  });
}
