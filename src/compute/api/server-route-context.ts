import type { FastifyRequest } from 'fastify';
import { requestBaseUrl } from '../../lib/http/app.js';
import { policyCredentials } from '../../lib/http/auth-context.js';
import type { ServerServices } from '../domain/server-services.js';
import { authOf } from './route-helpers.js';
import type { ServerViewContext } from './server-views.js';

/** Any id: one that cannot exist is a 404, as Nova answers (never a 400 for its length). */
export const ServerParam = {
  type: 'object',
  properties: { server_id: { type: 'string' } },
  required: ['server_id'],
} as const;

export type ServerParams = { Params: { server_id: string } };

/** True when the caller passes `rule` (no exception). */
export function allowed(s: ServerServices, req: FastifyRequest, rule: string, target: Record<string, unknown> = {}): boolean {
  return s.policy.check(rule, target, policyCredentials(authOf(req)));
}

/** What every server view of this request depends on. */
export async function viewContext(s: ServerServices, req: FastifyRequest, groupsFor?: string[]): Promise<ServerViewContext> {
  const mv = req.microversion;
  const ctx: ServerViewContext = {
    base: requestBaseUrl(req),
    mv,
    extendedAttrs: allowed(s, req, 'os_compute_api:os-extended-server-attributes'),
    admin: allowed(s, req, 'context_is_admin'),
    flavorExtraSpecs: allowed(s, req, 'os_compute_api:os-flavor-extra-specs:index', { project_id: authOf(req).projectId ?? '' }),
  };
  if (mv.atLeast('2.16') && allowed(s, req, 'os_compute_api:servers:show:host_status')) {
    const hosts = await s.servers.deps.resources.hosts.computeHosts();
    ctx.hostStatus = new Map(hosts.map((h) => [h.host, !h.up ? 'DOWN' : !h.enabled ? 'MAINTENANCE' : 'UP']));
  }
  if (groupsFor && mv.atLeast('2.71')) {
    ctx.serverGroups = new Map();
    for (const uuid of groupsFor) {
      const g = await s.servers.deps.resources.serverGroups.groupOf(uuid);
      ctx.serverGroups.set(uuid, g ? [g.id] : []);
    }
  }
  return ctx;
}
