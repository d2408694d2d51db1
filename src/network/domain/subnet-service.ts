import { newUuid } from '../../lib/ids.js';
import type { Stored } from '../store/resource-store.js';
import { owns, type NetworkCaller } from './caller.js';
import { badRequestOf, inUse, invalidInput, notAuthorized, notFoundOf } from './errors.js';
import { isAutoAddressed } from './ipam.js';
import { canonicalIp, cidrContains, cidrsOverlap, formatCidr, formatIp, lastAddress, parseCidr, parseIp, type Cidr } from './ip-math.js';
import { DEVICE_OWNER, type AllocationPool, type HostRoute, type NetworkBody, type PortBody, type SubnetBody } from './models.js';
import type { NetworkContext } from './network-context.js';
import { targetProject, type NetworkService } from './network-service.js';
import type { NetworkQuotaService } from './quota-service.js';
import type { SubnetPoolService } from './subnet-pool-service.js';

export type StoredSubnet = Stored<SubnetBody>;

export interface SubnetInput {
  name?: string;
  description?: string;
  network_id?: string;
  ip_version?: number;
  cidr?: string;
  gateway_ip?: string | null;
  allocation_pools?: AllocationPool[];
  dns_nameservers?: string[];
  host_routes?: HostRoute[];
  enable_dhcp?: boolean;
  ipv6_ra_mode?: string | null;
  ipv6_address_mode?: string | null;
  subnetpool_id?: string | null;
  use_default_subnetpool?: boolean;
  prefixlen?: number;
  service_types?: string[];
  segment_id?: string | null;
  dns_publish_fixed_ip?: boolean;
  project_id?: string;
  tenant_id?: string;
}

const V6_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'];

/** Keeps a network's DHCP port in step with its DHCP-enabled subnets (see PortService). */
export interface DhcpPortKeeper {
  syncDhcpPort(networkId: string): Promise<void>;
}

export class SubnetService {
  dhcp: DhcpPortKeeper | null = null;

  constructor(
    private readonly ctx: NetworkContext,
    private readonly networks: NetworkService,
    private readonly quotas: NetworkQuotaService,
    private readonly pools: SubnetPoolService,
  ) {}

  async visible(caller: NetworkCaller, id: string): Promise<StoredSubnet> {
    const s = await this.ctx.store.get<SubnetBody>('subnet', id);
    if (!s) throw notFoundOf('subnet', id);
    if (!owns(caller, s.projectId)) {
      // Others see a subnet only through a shared network: an external network shows itself, not its subnets.
      const n = await this.ctx.store.get<NetworkBody>('network', s.body.network_id);
      if (!n || !n.body.shared) throw notFoundOf('subnet', id);
    }
    return s;
  }

  async list(caller: NetworkCaller): Promise<StoredSubnet[]> {
    const all = await this.ctx.store.list<SubnetBody>('subnet');
    if (caller.isAdmin) return all;
    const shared = new Set((await this.ctx.store.list<NetworkBody>('network')).filter((n) => n.body.shared).map((n) => n.id));
    return all.filter((s) => owns(caller, s.projectId) || shared.has(s.body.network_id));
  }

  ofNetwork(networkId: string): Promise<StoredSubnet[]> {
    return this.ctx.store.list<SubnetBody>('subnet', { parentId: networkId });
  }

  async create(caller: NetworkCaller, input: SubnetInput): Promise<StoredSubnet> {
    if (!input.network_id) throw badRequestOf("Failed to parse request. Required attribute 'network_id' not specified");
    const projectId = targetProject(caller, input, 'create_subnet');
    const network = await this.networks.visible(caller, input.network_id);
    if (!owns(caller, network.projectId)) throw notAuthorized('create_subnet');
    if (input.ip_version !== 4 && input.ip_version !== 6)
      throw badRequestOf("Failed to parse request. Required attribute 'ip_version' not specified");
    const pool = input.subnetpool_id
      ? await this.pools.visible(caller, input.subnetpool_id)
      : input.use_default_subnetpool
        ? await this.pools.defaultPool(caller, input.ip_version)
        : null;
    if (pool && pool.body.ip_version !== input.ip_version) throw invalidInput('Cidr and IP version mismatch');
    if (!pool && !input.cidr) throw badRequestOf('Bad subnets request: a cidr must be specified in the absence of a subnet pool');
    if (!pool && input.prefixlen !== undefined) throw invalidInput('prefixlen is only meaningful with a subnet pool');
    const cidr = pool ? await this.pools.allocate(pool, { cidr: input.cidr, prefixlen: input.prefixlen }) : parseCidr(input.cidr!);
    if (!cidr) throw invalidInput(`'${input.cidr}' is not a valid IP subnet.`);
    if (cidr.version !== input.ip_version) throw invalidInput('Cidr and IP version mismatch');
    const canonical = formatCidr(cidr);
    if (!pool && parseCidr(input.cidr!, true) === null)
      throw invalidInput(`'${input.cidr}' isn't a recommended CIDR, '${canonical}' is recommended`);
    if (cidr.version === 4 ? cidr.prefixLen > 30 : cidr.prefixLen > 126)
      throw invalidInput(`The prefix length of ${canonical} is too long.`);
    const siblings = await this.ofNetwork(network.id);
    for (const other of siblings) {
      if (cidrsOverlap(parseCidr(other.body.cidr)!, cidr)) {
        throw invalidInput(`Requested subnet with cidr: ${canonical} for network: ${network.id} overlaps with another subnet`);
      }
    }
    const modes = this.#v6Modes(input, cidr);
    const gateway = input.gateway_ip === undefined ? formatIp(cidr.version, cidr.network + 1n) : this.#gateway(input.gateway_ip, cidr);
    const pools = input.allocation_pools ? this.#pools(input.allocation_pools, cidr, gateway) : defaultPools(cidr, gateway);
    await this.quotas.check(projectId, 'subnet');
    const body: SubnetBody = {
      name: input.name ?? '',
      description: input.description ?? '',
      network_id: network.id,
      ip_version: cidr.version,
      cidr: canonical,
      gateway_ip: gateway,
      allocation_pools: pools,
      dns_nameservers: this.#dns(input.dns_nameservers ?? []),
      host_routes: this.#routes(input.host_routes ?? [], cidr.version),
      enable_dhcp: input.enable_dhcp ?? true,
      ipv6_ra_mode: modes.ra,
      ipv6_address_mode: modes.address,
      subnetpool_id: pool?.id ?? null,
      service_types: input.service_types ?? [],
      segment_id: input.segment_id ?? null,
      dns_publish_fixed_ip: input.dns_publish_fixed_ip ?? false,
      tags: [],
    };
    const s = await this.ctx.store.insert('subnet', { id: newUuid(), projectId, parentId: network.id, body });
    await this.dhcp?.syncDhcpPort(network.id);
    this.ctx.changed();
    return s;
  }

  async update(caller: NetworkCaller, id: string, input: SubnetInput): Promise<StoredSubnet> {
    const s = await this.visible(caller, id);
    if (!owns(caller, s.projectId)) throw notAuthorized('update_subnet');
    for (const k of ['cidr', 'ip_version', 'network_id', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id'] as const) {
      if (input[k] !== undefined && input[k] !== s.body[k]) throw invalidInput(`Cannot update read-only attribute ${k}`);
    }
    const cidr = parseCidr(s.body.cidr)!;
    const body: SubnetBody = { ...s.body };
    if (input.name !== undefined) body.name = input.name;
    if (input.description !== undefined) body.description = input.description;
    if (input.enable_dhcp !== undefined) body.enable_dhcp = input.enable_dhcp;
    if (input.gateway_ip !== undefined) body.gateway_ip = this.#gateway(input.gateway_ip, cidr);
    if (input.allocation_pools !== undefined) body.allocation_pools = this.#pools(input.allocation_pools, cidr, body.gateway_ip);
    else if (input.gateway_ip !== undefined) this.#pools(body.allocation_pools, cidr, body.gateway_ip);
    if (input.dns_nameservers !== undefined) body.dns_nameservers = this.#dns(input.dns_nameservers);
    if (input.host_routes !== undefined) body.host_routes = this.#routes(input.host_routes, cidr.version);
    if (input.service_types !== undefined) body.service_types = input.service_types;
    await this.ctx.store.update('subnet', id, body);
    await this.dhcp?.syncDhcpPort(s.body.network_id);
    this.ctx.changed();
    return (await this.ctx.store.get<SubnetBody>('subnet', id))!;
  }

  async delete(caller: NetworkCaller, id: string): Promise<void> {
    const s = await this.visible(caller, id);
    if (!owns(caller, s.projectId)) throw notAuthorized('delete_subnet');
    const ports = await this.ctx.store.list<PortBody>('port', { parentId: s.body.network_id });
    const users = ports.filter((p) => p.body.fixed_ips.some((f) => f.subnet_id === id));
    const blocking = users.filter(
      (p) => p.body.device_owner !== DEVICE_OWNER.dhcp && !(isAutoAddressed(s.body) && !p.body.device_owner.startsWith('network:router')),
    );
    if (blocking.length > 0) {
      throw inUse(
        'subnet_in_use',
        `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
      );
    }
    await this.ctx.store.transaction(async (tx) => {
      // Ports keep their other addresses; the ones on this subnet go with it.
      for (const p of users) {
        const fixed = p.body.fixed_ips.filter((f) => f.subnet_id !== id);
        for (const f of p.body.fixed_ips.filter((f) => f.subnet_id === id)) await tx.release(`ip:${id}:${f.ip_address}`);
        await tx.update('port', p.id, { ...p.body, fixed_ips: fixed });
      }
      await tx.delete('subnet', id);
    });
    await this.dhcp?.syncDhcpPort(s.body.network_id);
    this.ctx.changed();
  }

  #v6Modes(input: SubnetInput, cidr: Cidr): { ra: string | null; address: string | null } {
    const ra = input.ipv6_ra_mode ?? null;
    const address = input.ipv6_address_mode ?? null;
    if (cidr.version === 4) {
      if (ra || address) throw invalidInput('ipv6_ra_mode or ipv6_address_mode cannot be set for an IPv4 subnet.');
      return { ra: null, address: null };
    }
    for (const m of [ra, address])
      if (m !== null && !V6_MODES.includes(m)) throw invalidInput(`'${m}' is not in ${JSON.stringify(V6_MODES)}`);
    if (ra && address && ra !== address) {
      throw invalidInput(
        `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${address}' is not valid. If both attributes are set, they must be the same value`,
      );
    }
    if ((address === 'slaac' || address === 'dhcpv6-stateless') && cidr.prefixLen !== 64) {
      throw invalidInput(
        `Invalid CIDR ${formatCidr(cidr)} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`,
      );
    }
    return { ra, address };
  }

  #gateway(text: string | null, cidr: Cidr): string | null {
    if (text === null) return null;
    const p = parseIp(text);
    if (!p || p.version !== cidr.version) throw invalidInput(`'${text}' is not a valid IP address`);
    if (cidr.version === 4 && (p.value === cidr.network || p.value === lastAddress(cidr)) && cidr.prefixLen < 31) {
      throw invalidInput(`Gateway is not valid on subnet. Gateway ip ${text} conflicts with the subnet's network or broadcast address`);
    }
    return formatIp(p.version, p.value);
  }

  #pools(pools: AllocationPool[], cidr: Cidr, gateway: string | null): AllocationPool[] {
    const ranges = pools.map((pool) => {
      const a = parseIp(pool.start);
      const b = parseIp(pool.end);
      if (!a || !b || a.version !== cidr.version || b.version !== cidr.version || a.value > b.value) {
        throw invalidInput(`The allocation pool ${pool.start}-${pool.end} is not valid for subnet ${formatCidr(cidr)}.`);
      }
      if (!cidrContains(cidr, a.version, a.value) || !cidrContains(cidr, b.version, b.value)) {
        throw badRequestOf(
          `The allocation pool ${pool.start}-${pool.end} spans beyond the subnet cidr ${formatCidr(cidr)}.`,
          'out_of_boundaries_allocation_pool',
        );
      }
      return { a: a.value, b: b.value, start: formatIp(cidr.version, a.value), end: formatIp(cidr.version, b.value) };
    });
    const sorted = [...ranges].sort((x, y) => (x.a < y.a ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.a <= sorted[i - 1]!.b)
        throw badRequestOf(
          `Found overlapping allocation pools: ${sorted[i - 1]!.start}-${sorted[i - 1]!.end} and ${sorted[i]!.start}-${sorted[i]!.end}`,
          'overlapping_allocation_pools',
        );
    }
    if (gateway) {
      const g = parseIp(gateway)!.value;
      const hit = ranges.find((r) => g >= r.a && g <= r.b);
      if (hit) throw conflictGateway(gateway, hit);
    }
    return ranges.map((r) => ({ start: r.start, end: r.end }));
  }

  #dns(servers: string[]): string[] {
    const out: string[] = [];
    for (const d of servers) {
      const ip = canonicalIp(d);
      if (!ip) throw invalidInput(`'${d}' is not a valid nameserver. '${d}' is not a valid IP address`);
      if (out.includes(ip)) throw invalidInput(`Duplicate nameserver '${d}'`);
      out.push(ip);
    }
    return out;
  }

  #routes(routes: HostRoute[], version: number): HostRoute[] {
    return routes.map((r) => {
      const dest = parseCidr(r.destination);
      const hop = parseIp(r.nexthop);
      if (!dest || !hop || dest.version !== version || hop.version !== version) {
        throw invalidInput(`Invalid data format for hostroute: '${JSON.stringify(r)}'`);
      }
      return { destination: formatCidr(dest), nexthop: formatIp(hop.version, hop.value) };
    });
  }
}

const conflictGateway = (gateway: string, pool: { start: string; end: string }): Error =>
  badRequestOf(`Gateway ip ${gateway} conflicts with allocation pool ${pool.start}-${pool.end}`, 'gateway_conflict_with_allocation_pools');

/** Neutron's default pool: the whole CIDR but its network (and IPv4 broadcast) address and the gateway. */
function defaultPools(cidr: Cidr, gateway: string | null): AllocationPool[] {
  const first = cidr.network + 1n;
  const last = cidr.version === 4 ? lastAddress(cidr) - 1n : lastAddress(cidr);
  const g = gateway ? parseIp(gateway)!.value : null;
  const pools: [bigint, bigint][] = [];
  if (g === null || g < first || g > last) pools.push([first, last]);
  else {
    if (g > first) pools.push([first, g - 1n]);
    if (g < last) pools.push([g + 1n, last]);
  }
  return pools.map(([a, b]) => ({ start: formatIp(cidr.version, a), end: formatIp(cidr.version, b) }));
}
