import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import type { NovaRuleInput } from '../domain/security-group-proxy.js';
import type { ServerServices } from '../domain/server-services.js';
import { callerOf, enforce } from './route-helpers.js';
import { versionNotFound } from './resource-route-helpers.js';
import { ServerParam } from './server-route-context.js';

type IdParams = { Params: { id: string } };

/** The user's own token: the network service authorizes each proxied call as the user. */
export const tokenOf = (req: FastifyRequest): string => String(req.headers['x-auth-token'] ?? '');

/** Nova: the network proxies (security groups, floating IPs, tenant networks) are gone from 2.36; a server's groups and add/remove stay. */
export function proxyVersion(req: FastifyRequest): void {
  if (req.microversion.atLeast('2.36')) throw versionNotFound();
}

function groupInput(body: unknown): { name: string; description: string } {
  const g = (body as { security_group?: unknown } | null)?.security_group as Record<string, unknown> | undefined;
  if (!g || typeof g !== 'object') throw badRequest('Missing parameter security_group in request body');
  for (const k of ['name', 'description'] as const) {
    const v = g[k];
    if (typeof v !== 'string') throw badRequest(`Security group ${k} is not a string or unicode`);
    if (v.length > 255) throw badRequest(`Security group ${k} should not be greater than 255 characters.`);
  }
  if ((g.name as string).trim() === '') throw badRequest('Security group name cannot be empty.');
  return { name: g.name as string, description: g.description as string };
}

/** os-security-groups, os-security-group-rules and /servers/{id}/os-security-groups, proxied to the network service. */
export function registerSecurityGroupRoutes(app: FastifyInstance, s: ServerServices): void {
  const sg = s.securityGroups;
  app.get('/v2.1/os-security-groups', async (req) => {
    proxyVersion(req);
    const caller = callerOf(s.policy, req);
    const all = String((req.query as Record<string, unknown>).all_tenants ?? '') !== '' && caller.isAdmin;
    return { security_groups: await sg.list(tokenOf(req), caller.projectId, all) };
  });
  app.post('/v2.1/os-security-groups', async (req) => {
    proxyVersion(req);
    return { security_group: await sg.create(tokenOf(req), groupInput(req.body)) };
  });
  app.get<IdParams>('/v2.1/os-security-groups/:id', async (req) => {
    proxyVersion(req);
    return { security_group: await sg.get(tokenOf(req), req.params.id) };
  });
  app.put<IdParams>('/v2.1/os-security-groups/:id', async (req) => {
    proxyVersion(req);
    return { security_group: await sg.update(tokenOf(req), req.params.id, groupInput(req.body)) };
  });
  app.delete<IdParams>('/v2.1/os-security-groups/:id', async (req, reply) => {
    proxyVersion(req);
    await sg.delete(tokenOf(req), req.params.id);
    return reply.code(202).send();
  });
  app.post('/v2.1/os-security-group-rules', async (req) => {
    proxyVersion(req);
    const r = (req.body as { security_group_rule?: unknown } | null)?.security_group_rule as NovaRuleInput | undefined;
    if (!r || typeof r !== 'object') throw badRequest('Missing parameter security_group_rule in request body');
    if (typeof r.parent_group_id !== 'string' || r.parent_group_id === '') throw badRequest('Missing parent_group_id.');
    return { security_group_rule: await sg.createRule(tokenOf(req), r) };
  });
  app.delete<IdParams>('/v2.1/os-security-group-rules/:id', async (req, reply) => {
    proxyVersion(req);
    await sg.deleteRule(tokenOf(req), req.params.id);
    return reply.code(202).send();
  });
  app.get<{ Params: { server_id: string } }>(
    '/v2.1/servers/:server_id/os-security-groups',
    { schema: { params: ServerParam } },
    async (req) => {
      const row = await s.servers.getRow(callerOf(s.policy, req), req.params.server_id);
      enforce(s.policy, req, 'os_compute_api:os-security-groups:list', { project_id: row.project_id });
      return { security_groups: await sg.ofServer(tokenOf(req), row.uuid) };
    },
  );
}
