import type { FastifyInstance } from 'fastify';
import { AGENT_ROLES, type RoleAgent } from '../domain/agent-service.js';
import { notFoundOf } from '../domain/errors.js';
import { DEVICE_OWNER, type PortBody } from '../domain/models.js';
import type { NetworkServices } from '../domain/network-services.js';
import { listBody } from './list-query.js';
import { T, bodyParser, callerOf, type IdParams } from './route-helpers.js';

const parseUpdate = bodyParser('agent', null, { admin_state_up: T.bool, description: { type: ['string', 'null'], maxLength: 255 } });

/**
 * Neutron's agents API over Kumo's one agent per host: each role it plays
 * (L2, DHCP, metadata, L3) is listed as the Neutron agent of that role.
 * Admin only; others see an empty list, as with Neutron's policy.
 */
export function registerAgentRoutes(app: FastifyInstance, s: NetworkServices): void {
  const view = (a: RoleAgent, ports: PortBody[], dhcpHost: string | null, l3Host: string | null): Record<string, unknown> => {
    const role = AGENT_ROLES[a.role];
    const host = a.host.body.host;
    const onHost = ports.filter((p) => p['binding:host_id'] === host);
    const configurations: Record<string, unknown> =
      a.role === 'l2'
        ? { devices: onHost.length, tunneling_ip: a.host.body.tunnel_ip, tunnel_types: ['vxlan'], l2_population: true }
        : a.role === 'dhcp'
          ? {
              dhcp_driver: 'dnsmasq',
              networks:
                host === dhcpHost ? new Set(ports.filter((p) => p.device_owner === DEVICE_OWNER.dhcp).map((p) => p.network_id)).size : 0,
            }
          : a.role === 'l3'
            ? {
                agent_mode: 'legacy',
                routers:
                  host === l3Host
                    ? new Set(ports.filter((p) => p.device_owner === DEVICE_OWNER.routerInterface).map((p) => p.device_id)).size
                    : 0,
              }
            : { metadata_proxy_socket: 'metadata.sock' };
    return {
      id: a.id,
      agent_type: role.agent_type,
      binary: role.binary,
      topic: role.topic,
      host,
      admin_state_up: a.settings.admin_state_up ?? true,
      alive: s.agents.alive(a.host),
      availability_zone: role.zoned ? 'nova' : null,
      description: a.settings.description ?? null,
      configurations,
      created_at: a.host.body.created_at ?? a.host.body.started_at,
      started_at: a.host.body.started_at,
      heartbeat_timestamp: a.host.body.heartbeat_timestamp,
      resources_synced: null,
      resource_versions: {},
    };
  };
  const views = async (only?: RoleAgent[]): Promise<Record<string, unknown>[]> => {
    const hosts = await s.agents.list();
    const [ports, dhcpHost, l3Host] = await Promise.all([
      s.store.list<PortBody>('port'),
      s.agents.hostFor('dhcp', hosts),
      s.agents.hostFor('l3', hosts),
    ]);
    const bodies = ports.map((p) => p.body);
    return (only ?? (await s.agents.roleAgents(hosts))).map((a) => view(a, bodies, dhcpHost, l3Host));
  };
  /** Non-admins are told an agent does not exist, as Neutron does for what policy hides. */
  const adminOnly = (req: Parameters<typeof callerOf>[1], id: string): void => {
    if (!callerOf(s.policy, req).isAdmin) throw notFoundOf('agent', id);
  };

  app.get('/v2.0/agents', async (req) => {
    const all = callerOf(s.policy, req).isAdmin ? await views() : [];
    return listBody(req, 'agents', '/v2.0/agents', all);
  });
  app.get<IdParams>('/v2.0/agents/:id', async (req) => {
    adminOnly(req, req.params.id);
    const [agent] = await views([await s.agents.roleAgent(req.params.id)]);
    return { agent };
  });
  app.put<IdParams>('/v2.0/agents/:id', async (req) => {
    adminOnly(req, req.params.id);
    const [changes] = parseUpdate(req.body);
    const updated = await s.agents.updateRole(req.params.id, changes as { admin_state_up?: boolean; description?: string | null });
    const [agent] = await views([updated]);
    return { agent };
  });
  app.delete<IdParams>('/v2.0/agents/:id', async (req, reply) => {
    adminOnly(req, req.params.id);
    await s.agents.deleteRole(req.params.id);
    return reply.code(204).send();
  });
}
