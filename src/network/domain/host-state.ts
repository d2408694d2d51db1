import type {
  BoundPort,
  DhcpServer,
  HostState,
  NetworkSegment,
  RouterLegState,
  RouterState,
  SecurityRule,
} from '../../lib/rpc/network-rpc.js';
import type { Stored } from '../store/resource-store.js';
import type { AgentBody, AgentService } from './agent-service.js';
import { isAutoAddressed } from './ipam.js';
import { parseCidr } from './ip-math.js';
import {
  DEVICE_OWNER,
  type FloatingIpBody,
  type NetworkBody,
  type PortBody,
  type RouterBody,
  type SecurityGroupRuleBody,
  type SubnetBody,
} from './models.js';
import type { NetworkContext } from './network-context.js';
import { bridgeName, tapName } from './port-service.js';
import { protocolNumber } from './security-group-service.js';

const ruleProtocol = (p: string | null): SecurityRule['protocol'] | 'other' => {
  const n = protocolNumber(p);
  if (n === null) return null;
  return n === 6 ? 'tcp' : n === 17 ? 'udp' : n === 1 || n === 58 ? 'icmp' : 'other';
};

/**
 * The desired state of one host's data plane, computed from the database:
 * the networks it needs, the ports bound to it with their resolved firewall
 * rules, and (if it is the DHCP or L3 host) DHCP servers and routers.
 */
export async function hostState(ctx: NetworkContext, agents: AgentService, host: string): Promise<HostState> {
  const { store } = ctx;
  const [networks, subnets, ports, rules, routers, fips, allAgents] = await Promise.all([
    store.list<NetworkBody>('network'),
    store.list<SubnetBody>('subnet'),
    store.list<PortBody>('port'),
    store.list<SecurityGroupRuleBody>('security_group_rule'),
    store.list<RouterBody>('router'),
    store.list<FloatingIpBody>('floatingip'),
    agents.list(),
  ]);
  const dhcpHost = await agents.hostFor('dhcp', allAgents);
  const l3Host = await agents.hostFor('l3', allAgents);
  const netById = new Map(networks.map((n) => [n.id, n]));
  const subnetById = new Map(subnets.map((s) => [s.id, s]));
  const tunnelOf = new Map(allAgents.filter((a) => agents.alive(a)).map((a: Stored<AgentBody>) => [a.body.host, a.body.tunnel_ip]));

  // Which hosts have something on each network: bound ports, plus the DHCP and L3 hosts for theirs.
  const hostsOn = new Map<string, Set<string>>();
  const mark = (netId: string, h: string | null): void => {
    if (!h) return;
    if (!hostsOn.has(netId)) hostsOn.set(netId, new Set());
    hostsOn.get(netId)!.add(h);
  };
  for (const p of ports) {
    if (p.body['binding:host_id']) mark(p.body.network_id, p.body['binding:host_id']);
    if (p.body.device_owner === DEVICE_OWNER.dhcp) mark(p.body.network_id, dhcpHost);
    if (p.body.device_owner === DEVICE_OWNER.routerInterface || p.body.device_owner === DEVICE_OWNER.routerGateway)
      mark(p.body.network_id, l3Host);
  }

  const groupIps = new Map<string, string[]>();
  for (const p of ports)
    for (const g of p.body.security_groups) groupIps.set(g, [...(groupIps.get(g) ?? []), ...p.body.fixed_ips.map((f) => f.ip_address)]);
  const rulesOf = (groupIds: string[]): SecurityRule[] => {
    const out: SecurityRule[] = [];
    for (const r of rules) {
      if (!groupIds.includes(r.body.security_group_id)) continue;
      const protocol = ruleProtocol(r.body.protocol);
      if (protocol === 'other') continue;
      const base = {
        direction: r.body.direction,
        ethertype: r.body.ethertype,
        protocol,
        portMin: r.body.port_range_min,
        portMax: r.body.port_range_max,
      };
      if (r.body.remote_group_id) {
        const v6 = r.body.ethertype === 'IPv6';
        out.push({
          ...base,
          remoteIpPrefix: null,
          remoteIps: (groupIps.get(r.body.remote_group_id) ?? []).filter((ip) => ip.includes(':') === v6),
        });
      } else out.push({ ...base, remoteIpPrefix: r.body.remote_ip_prefix });
    }
    return out;
  };

  const needed = new Set<string>();
  for (const [netId, hosts] of hostsOn) if (hosts.has(host)) needed.add(netId);

  const boundPorts: BoundPort[] = ports
    .filter((p) => p.body['binding:host_id'] === host && !p.body.device_owner.startsWith('network:'))
    .map((p) => ({
      id: p.id,
      networkId: p.body.network_id,
      tap: tapName(p.id),
      mac: p.body.mac_address,
      ips: p.body.fixed_ips.map((f) => f.ip_address),
      allowedAddressPairs: p.body.allowed_address_pairs.map((a) => ({ ip: a.ip_address, mac: a.mac_address })),
      portSecurity: p.body.port_security_enabled,
      adminUp: p.body.admin_state_up,
      rules: p.body.port_security_enabled ? rulesOf(p.body.security_groups) : [],
    }));

  const segments: NetworkSegment[] = [...needed].flatMap((id) => {
    const n = netById.get(id);
    if (!n) return [];
    const peers = [...(hostsOn.get(id) ?? [])].filter((h) => h !== host).flatMap((h) => (tunnelOf.has(h) ? [tunnelOf.get(h)!] : []));
    return [
      {
        id,
        type: n.body['provider:network_type'],
        physicalNetwork: n.body['provider:physical_network'],
        segmentationId: n.body['provider:segmentation_id'],
        mtu: n.body.mtu,
        bridge: bridgeName(id),
        peers,
      },
    ];
  });

  const withPrefix = (ip: string, subnetId: string): string =>
    `${ip}/${parseCidr(subnetById.get(subnetId)?.body.cidr ?? '')?.prefixLen ?? 32}`;

  const floatingOf = (portId: string, fixed: string): { floatingIp?: string } => {
    const f = fips.find((x) => x.body.port_id === portId && x.body.fixed_ip_address === fixed);
    return f ? { floatingIp: f.body.floating_ip_address } : {};
  };
  const dhcp: DhcpServer[] = [];
  if (dhcpHost === host) {
    for (const p of ports.filter((x) => x.body.device_owner === DEVICE_OWNER.dhcp)) {
      const n = netById.get(p.body.network_id);
      if (!n) continue;
      const subs = subnets.filter((s) => s.parentId === n.id && s.body.enable_dhcp && !isAutoAddressed(s.body) && s.body.ip_version === 4);
      dhcp.push({
        networkId: n.id,
        bridge: bridgeName(n.id),
        mac: p.body.mac_address,
        addresses: p.body.fixed_ips.map((f) => withPrefix(f.ip_address, f.subnet_id)),
        subnets: subs.map((s) => ({
          id: s.id,
          cidr: s.body.cidr,
          gateway: s.body.gateway_ip,
          dnsServers: s.body.dns_nameservers,
          hostRoutes: s.body.host_routes,
          mtu: n.body.mtu,
        })),
        hosts: ports
          .filter((x) => x.body.network_id === n.id && x.body.device_owner !== DEVICE_OWNER.dhcp)
          .flatMap((x) =>
            x.body.fixed_ips
              .filter((f) => subs.some((s) => s.id === f.subnet_id))
              .map((f) => ({
                mac: x.body.mac_address,
                ip: f.ip_address,
                hostname: `host-${f.ip_address.replaceAll('.', '-')}`,
                ...(x.body.device_owner.startsWith('compute:') ? { instanceId: x.body.device_id, ...floatingOf(x.id, f.ip_address) } : {}),
              })),
          ),
      });
    }
  }

  const routerStates: RouterState[] = [];
  if (l3Host === host) {
    for (const r of routers) {
      const legs = ports.filter((p) => p.body.device_id === r.id);
      const leg = (p: Stored<PortBody>): RouterLegState | null => {
        const f = p.body.fixed_ips.find((x) => !x.ip_address.includes(':'));
        const n = netById.get(p.body.network_id);
        if (!f || !n) return null;
        return {
          portId: p.id,
          bridge: bridgeName(n.id),
          mac: p.body.mac_address,
          cidr: withPrefix(f.ip_address, f.subnet_id),
          mtu: n.body.mtu,
        };
      };
      const gwPort = legs.find((p) => p.body.device_owner === DEVICE_OWNER.routerGateway);
      const gwLeg = gwPort ? leg(gwPort) : null;
      const gwSubnet = gwPort ? subnetById.get(gwPort.body.fixed_ips[0]?.subnet_id ?? '') : undefined;
      routerStates.push({
        id: r.id,
        gateway: gwLeg
          ? { ...gwLeg, nexthop: gwSubnet?.body.gateway_ip ?? null, snat: r.body.external_gateway_info?.enable_snat ?? true }
          : null,
        interfaces: legs.filter((p) => p.body.device_owner === DEVICE_OWNER.routerInterface).flatMap((p) => leg(p) ?? []),
        floatingIps: fips
          .filter((f) => f.body.router_id === r.id && f.body.fixed_ip_address)
          .map((f) => ({ floating: f.body.floating_ip_address, fixed: f.body.fixed_ip_address! })),
        routes: r.body.routes,
      });
    }
  }
  return { networks: segments, ports: boundPorts, dhcp, routers: routerStates };
}
