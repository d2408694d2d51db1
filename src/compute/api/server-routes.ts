import { registerFloatingIpRoutes } from './floating-ip-routes.js';
import { registerInterfaceRoutes } from './interface-routes.js';
import { registerSecurityGroupRoutes } from './security-group-routes.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../lib/errors.js';
import { assertValid } from '../../lib/http/validation.js';
import { listServers, type ListParams } from '../domain/server-list.js';
import type { CreateServerInput } from '../domain/server-service.js';
import type { ServerServices } from '../domain/server-services.js';
import { registerImageProxyRoutes } from './image-proxy-routes.js';
import { callerOf, enforce } from './route-helpers.js';
import { registerServerActionRoutes, type ExtraServerAction } from './server-action-routes.js';
import { ServerParam, allowed, viewContext, type ServerParams } from './server-route-context.js';
import { createValidator, updateValidator } from './server-schemas.js';
import { registerServerSubresourceRoutes } from './server-subresource-routes.js';
import { indexView, serverLinks, serverView } from './server-views.js';

interface CreateBody {
  server: Omit<CreateServerInput, 'min_count' | 'max_count' | 'hints' | 'diskConfig' | 'return_reservation_id'> & {
    min_count?: number | string;
    max_count?: number | string;
    return_reservation_id?: boolean | string;
    'OS-DCF:diskConfig'?: 'AUTO' | 'MANUAL';
    personality?: unknown[];
  };
  'OS-SCH-HNT:scheduler_hints'?: Record<string, unknown>;
  'os:scheduler_hints'?: Record<string, unknown>;
}

/**
 * /servers and everything under it. `extraActions` adds server actions other
 * parts serve (consoles: `{ 'os-getVNCConsole': (req, id, body) => handleGetVncConsoleAction(consoles, req, id, body) }`).
 */
export function registerServerRoutes(app: FastifyInstance, s: ServerServices, extraActions: Record<string, ExtraServerAction> = {}): void {
  const list = (detail: boolean) => async (req: FastifyRequest<{ Querystring: ListParams }>) => {
    const caller = callerOf(s.policy, req);
    enforce(s.policy, req, `os_compute_api:servers:${detail ? 'detail' : 'index'}`, { project_id: caller.projectId ?? '' });
    const mv = req.microversion;
    const result = await listServers(s.servers, caller, req.query ?? {}, {
      allFilters: allowed(s, req, 'os_compute_api:servers:allow_all_filters'),
      allTenants: allowed(s, req, `os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`),
      changesBefore: mv.atLeast('2.66'),
      lockedFilter: mv.atLeast('2.73'),
      invalidStatusIs400: mv.atLeast('2.38'),
      userData: detail && mv.atLeast('2.3') && allowed(s, req, 'os_compute_api:os-extended-server-attributes'),
    });
    const ctx = await viewContext(s, req);
    const body: Record<string, unknown> = {
      servers: result.servers.map((r) => (detail ? serverView(r, ctx) : indexView(r.row, ctx.base))),
    };
    if (result.next) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query ?? {})) {
        if (k === 'marker' || v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
      }
      if (!q.has('limit')) q.set('limit', String(result.limit ?? 1000));
      q.set('marker', result.next);
      body.servers_links = [{ rel: 'next', href: `${ctx.base}/v2.1/servers${detail ? '/detail' : ''}?${q.toString()}` }];
    }
    return body;
  };
  app.get('/v2.1/servers', list(false));
  app.get('/v2.1/servers/detail', list(true));

  app.post('/v2.1/servers', async (req, reply) => {
    const caller = callerOf(s.policy, req);
    enforce(s.policy, req, 'os_compute_api:servers:create', { project_id: caller.projectId ?? '' });
    const body = assertValid<CreateBody>(createValidator(req.microversion), req.body);
    const { server } = body;
    const { min_count, max_count, return_reservation_id, personality: _p, 'OS-DCF:diskConfig': diskConfig, ...rest } = server;
    const minCount = Number(min_count ?? 1);
    const maxCount = Number(max_count ?? min_count ?? 1);
    const input: CreateServerInput = {
      ...rest,
      flavorRef: String(server.flavorRef),
      min_count: minCount,
      max_count: maxCount,
      diskConfig,
      hints: body['OS-SCH-HNT:scheduler_hints'] ?? body['os:scheduler_hints'] ?? {},
    };
    if (input.hostname !== undefined && maxCount > 1) {
      throw badRequest('Cannot specify hostname when creating multiple servers.');
    }
    const result = await s.servers.create(caller, input);
    reply.code(202);
    const wantsReservation = return_reservation_id === true || String(return_reservation_id).toLowerCase() === 'true';
    if (wantsReservation) return { reservation_id: result.reservationId };
    const first = result.servers[0]!;
    const base = (await viewContext(s, req)).base;
    reply.header('location', `${base}/v2.1/servers/${first.uuid}`);
    return {
      server: {
        id: first.uuid,
        links: serverLinks(base, first.uuid),
        'OS-DCF:diskConfig': first.auto_disk_config ? 'AUTO' : 'MANUAL',
        security_groups: (JSON.parse(first.security_groups) as string[]).map((name) => ({ name })),
        adminPass: result.adminPass,
      },
    };
  });

  app.get<ServerParams>('/v2.1/servers/:server_id', { schema: { params: ServerParam } }, async (req) => {
    const caller = callerOf(s.policy, req);
    const rec = await s.servers.get(caller, req.params.server_id);
    enforce(s.policy, req, 'os_compute_api:servers:show', { project_id: rec.row.project_id });
    return { server: serverView(rec, await viewContext(s, req, [rec.row.uuid])) };
  });

  app.put<ServerParams>('/v2.1/servers/:server_id', { schema: { params: ServerParam } }, async (req) => {
    const caller = callerOf(s.policy, req);
    const row = await s.servers.getRow(caller, req.params.server_id);
    enforce(s.policy, req, 'os_compute_api:servers:update', { project_id: row.project_id });
    const { server } = assertValid<{ server: Record<string, string | null> }>(updateValidator(req.microversion), req.body);
    const rec = await s.servers.update(caller, row.uuid, {
      name: server.name ?? undefined,
      description: server.description,
      hostname: server.hostname ?? undefined,
      accessIPv4: server.accessIPv4 ?? undefined,
      accessIPv6: server.accessIPv6 ?? undefined,
      diskConfig: server['OS-DCF:diskConfig'] ?? undefined,
    });
    const full = req.microversion.atLeast('2.75');
    return { server: serverView(rec, await viewContext(s, req, [rec.row.uuid]), full) };
  });

  app.delete<ServerParams>('/v2.1/servers/:server_id', { schema: { params: ServerParam } }, async (req, reply) => {
    const caller = callerOf(s.policy, req);
    const row = await s.servers.getRow(caller, req.params.server_id);
    enforce(s.policy, req, 'os_compute_api:servers:delete', { project_id: row.project_id });
    await s.servers.delete(caller, row.uuid);
    reply.code(204);
  });

  registerServerActionRoutes(app, s, extraActions);
  registerSecurityGroupRoutes(app, s);
  registerInterfaceRoutes(app, s);
  registerFloatingIpRoutes(app, s);
  registerServerSubresourceRoutes(app, s);
  registerImageProxyRoutes(app, s.imageProxy, s.servers.deps.resources.quotas, () => s.servers.deps.images.endpoint());
}
