import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerServices } from '../domain/server-services.js';
import { callerOf } from './route-helpers.js';
import { versionNotFound } from './resource-route-helpers.js';

type IdParams = { Params: { id: string } };

/** The user's own token: the network service authorizes each proxied call as the user. */
const tokenOf = (req: FastifyRequest): string => String(req.headers['x-auth-token'] ?? '');

/** Nova: the network proxies are gone from 2.36. */
function proxyVersion(req: FastifyRequest): void {
  if (req.microversion.atLeast('2.36')) throw versionNotFound();
}

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
