import type { FastifyInstance } from 'fastify';
import type { ServerServices } from '../domain/server-services.js';
import { callerOf } from './route-helpers.js';
import { proxyVersion, tokenOf } from './security-group-routes.js';

type IdParams = { Params: { id: string } };

/** os-floating-ip-pools, os-floating-ips and os-tenant-networks, proxied to the network service. */
export function registerFloatingIpRoutes(app: FastifyInstance, s: ServerServices): void {
  const f = s.floatingIps;
  app.get('/v2.1/os-floating-ip-pools', async (req) => {
    proxyVersion(req);
    return { floating_ip_pools: await f.pools(tokenOf(req)) };
  });
  app.get('/v2.1/os-floating-ips', async (req) => {
    proxyVersion(req);
    return { floating_ips: await f.list(tokenOf(req), callerOf(s.policy, req).projectId) };
  });
  app.get<IdParams>('/v2.1/os-floating-ips/:id', async (req) => {
    proxyVersion(req);
    return { floating_ip: await f.get(tokenOf(req), req.params.id) };
  });
  app.post('/v2.1/os-floating-ips', async (req) => {
    proxyVersion(req);
    const pool = (req.body as { pool?: unknown } | null)?.pool;
    return { floating_ip: await f.create(tokenOf(req), typeof pool === 'string' && pool !== '' ? pool : undefined) };
  });
  app.delete<IdParams>('/v2.1/os-floating-ips/:id', async (req, reply) => {
    proxyVersion(req);
    await f.delete(tokenOf(req), req.params.id);
    return reply.code(202).send();
  });
  app.get('/v2.1/os-tenant-networks', async (req) => {
    proxyVersion(req);
    return { networks: await f.tenantNetworks(tokenOf(req), callerOf(s.policy, req).projectId) };
  });
  app.get<IdParams>('/v2.1/os-tenant-networks/:id', async (req) => {
    proxyVersion(req);
    return { network: await f.tenantNetwork(tokenOf(req), callerOf(s.policy, req).projectId, req.params.id) };
  });
}
