import { randomBytes } from 'node:crypto';
import { newUuid } from '../../lib/ids.js';
import type { ResourceStore, Stored } from '../store/resource-store.js';
import { SERVICE_CALLER, owns, type NetworkCaller } from './caller.js';
import { badRequestOf, conflictOf, invalidInput, notAuthorized, notFoundOf } from './errors.js';
import { allocateIp, ipClaim, isAutoAddressed } from './ipam.js';
import { cidrContains, parseCidr, parseIp } from './ip-math.js';
import { DEVICE_OWNER, type AddressPair, type FixedIp, type NetworkBody, type PortBody, type SubnetBody } from './models.js';
import type { NetworkContext } from './network-context.js';
import { targetProject, type NetworkService } from './network-service.js';
import type { NetworkQuotaService } from './quota-service.js';
import type { SecurityGroupService } from './security-group-service.js';

export type StoredPort = Stored<PortBody>;

export interface PortInput {
  name?: string;
  description?: string;
  network_id?: string;
  mac_address?: string;
  admin_state_up?: boolean;
  device_id?: string;
  device_owner?: string;
  fixed_ips?: { subnet_id?: string; ip_address?: string }[];
  allowed_address_pairs?: { ip_address?: string; mac_address?: string }[];
  extra_dhcp_opts?: { opt_name: string; opt_value: string; ip_version?: number }[];
  security_groups?: string[];
  port_security_enabled?: boolean;
  'binding:host_id'?: string;
  'binding:vnic_type'?: string;
  'binding:profile'?: Record<string, unknown>;
  dns_name?: string;
  propagate_uplink_status?: boolean;
  project_id?: string;
  tenant_id?: string;
}

/** Linux device names are at most 15 bytes: Neutron's linuxbridge names, `tap` or `brq` and 11 characters of the id. */
export const tapName = (portId: string): string => `tap${portId.slice(0, 11)}`;
export const bridgeName = (networkId: string): string => `brq${networkId.slice(0, 11)}`;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export class PortService {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly networks: NetworkService,
    private readonly groups: SecurityGroupService,
    private readonly quotas: NetworkQuotaService,
  ) {}

  async visible(caller: NetworkCaller, id: string): Promise<StoredPort> {
    const p = await this.ctx.store.get<PortBody>('port', id);
    if (!p || !(await this.#canSee(caller, p))) throw notFoundOf('port', id);
    return p;
  }

  async #canSee(caller: NetworkCaller, p: StoredPort, netOwners?: Map<string, string>): Promise<boolean> {
    if (owns(caller, p.projectId)) return true;
    const owner = netOwners ? netOwners.get(p.body.network_id) : (await this.ctx.store.get('network', p.body.network_id))?.projectId;
    return owner !== undefined && owner === caller.projectId;
  }

  async list(caller: NetworkCaller): Promise<StoredPort[]> {
    const all = await this.ctx.store.list<PortBody>('port');
    if (caller.isAdmin) return all;
    const owners = new Map((await this.ctx.store.list('network', { projectId: caller.projectId ?? '' })).map((n) => [n.id, n.projectId]));
    const out: StoredPort[] = [];
    for (const p of all) if (await this.#canSee(caller, p, owners)) out.push(p);
    return out;
  }

  async create(caller: NetworkCaller, input: PortInput): Promise<StoredPort> {
    if (!input.network_id) throw badRequestOf("Failed to parse request. Required attribute 'network_id' not specified");
    const projectId = targetProject(caller, input, 'create_port');
    const network = await this.networks.visible(caller, input.network_id);
    const deviceOwner = input.device_owner ?? '';
    if (deviceOwner.startsWith('network:') && !caller.isAdmin && !owns(caller, network.projectId))
      throw notAuthorized('create_port:device_owner');
    if (input['binding:host_id'] !== undefined && !caller.isAdmin) throw notAuthorized('create_port:binding:host_id');
    if (input['binding:profile'] !== undefined && !caller.isAdmin) throw notAuthorized('create_port:binding:profile');
    if (input.mac_address !== undefined && !caller.isAdmin && !owns(caller, network.projectId))
      throw notAuthorized('create_port:mac_address');
    if (input.fixed_ips?.some((f) => f.ip_address) && !caller.isAdmin && !owns(caller, network.projectId)) {
      // Neutron lets a project pick addresses only on its own networks.
      throw notAuthorized('create_port:fixed_ips:ip_address');
    }
    await this.quotas.check(projectId, 'port');
    const portSecurity = input.port_security_enabled ?? network.body.port_security_enabled;
    const pairs = this.#pairs(input.allowed_address_pairs ?? []);
    if (!portSecurity && pairs.length > 0)
      throw conflictOf(
        'address_pair_and_port_security_required',
        'Port Security must be enabled in order to have allowed address pairs on a port.',
      );
    const groups = await this.#groups(caller, projectId, deviceOwner, portSecurity, input.security_groups);
    const id = newUuid();
    const port = await this.ctx.store.transaction(async (tx) => {
      const mac = await this.#mac(tx, network.id, id, input.mac_address);
      const fixed = await this.#fixedIps(tx, network.id, id, mac, input.fixed_ips, deviceOwner);
      const body: PortBody = {
        name: input.name ?? '',
        description: input.description ?? '',
        network_id: network.id,
        mac_address: mac,
        admin_state_up: input.admin_state_up ?? true,
        status: 'DOWN',
        device_id: input.device_id ?? '',
        device_owner: deviceOwner,
        fixed_ips: fixed,
        allowed_address_pairs: withPortMac(pairs, mac),
        extra_dhcp_opts: dhcpOptions(input.extra_dhcp_opts ?? []),
        security_groups: groups,
        port_security_enabled: portSecurity,
        'binding:host_id': '',
        'binding:vif_type': 'unbound',
        'binding:vif_details': {},
        'binding:vnic_type': input['binding:vnic_type'] ?? 'normal',
        'binding:profile': input['binding:profile'] ?? {},
        dns_name: input.dns_name ?? '',
        propagate_uplink_status: input.propagate_uplink_status ?? false,
        tags: [],
      };
      bind(body, id, input['binding:host_id'] ?? '');
      return tx.insert<PortBody>('port', { id, projectId, parentId: network.id, body });
    });
    this.ctx.changed();
    return port;
  }

  async update(caller: NetworkCaller, id: string, input: PortInput): Promise<StoredPort> {
    // visible() already admits only the port's project, the network's owner or an admin: Neutron's rule for changes too.
    const p = await this.visible(caller, id);
    if (input.network_id !== undefined && input.network_id !== p.body.network_id)
      throw invalidInput('Cannot update read-only attribute network_id');
    if (input['binding:host_id'] !== undefined && !caller.isAdmin) throw notAuthorized('update_port:binding:host_id');
    if (input.mac_address !== undefined && input.mac_address.toLowerCase() !== p.body.mac_address && !caller.isAdmin)
      throw notAuthorized('update_port:mac_address');
    const body: PortBody = { ...p.body };
    for (const k of [
      'name',
      'description',
      'admin_state_up',
      'device_id',
      'device_owner',
      'dns_name',
      'propagate_uplink_status',
      'binding:vnic_type',
      'binding:profile',
    ] as const) {
      if (input[k] !== undefined) (body as unknown as Record<string, unknown>)[k] = input[k];
    }
    if (input.port_security_enabled !== undefined) body.port_security_enabled = input.port_security_enabled;
    if (input.allowed_address_pairs !== undefined) {
      body.allowed_address_pairs = withPortMac(this.#pairs(input.allowed_address_pairs), body.mac_address);
    }
    if (input.extra_dhcp_opts !== undefined) {
      body.extra_dhcp_opts = dhcpOptions(input.extra_dhcp_opts);
    }
    if (input.security_groups !== undefined) {
      body.security_groups = await this.#groups(caller, p.projectId, body.device_owner, body.port_security_enabled, input.security_groups);
    }
    if (!body.port_security_enabled) {
      if (body.security_groups.length > 0)
        throw conflictOf(
          'port_security_and_ip_required_for_security_groups',
          'Port has security group associated. Cannot disable port security or ip address until security group is removed',
        );
      if (body.allowed_address_pairs.length > 0)
        throw conflictOf(
          'address_pair_and_port_security_required',
          'Port Security must be enabled in order to have allowed address pairs on a port.',
        );
    }
    await this.ctx.store.transaction(async (tx) => {
      if (input.mac_address !== undefined && input.mac_address.toLowerCase() !== p.body.mac_address) {
        if (p.body['binding:vif_type'] !== 'unbound' && p.body['binding:host_id'])
          throw conflictOf('port_bound', `Unable to complete operation on port ${id}, port is already bound.`);
        await tx.release(`mac:${p.body.network_id}:${p.body.mac_address}`);
        body.mac_address = await this.#mac(tx, p.body.network_id, id, input.mac_address);
      }
      if (input.fixed_ips !== undefined) {
        for (const f of p.body.fixed_ips) await tx.release(ipClaim(f.subnet_id, f.ip_address));
        body.fixed_ips = await this.#fixedIps(
          tx,
          p.body.network_id,
          id,
          body.mac_address,
          input.fixed_ips,
          body.device_owner,
          p.body.fixed_ips,
        );
      }
      if (input['binding:host_id'] !== undefined) bind(body, id, input['binding:host_id']);
      await tx.update('port', id, body);
    });
    this.ctx.changed();
    return (await this.ctx.store.get<PortBody>('port', id))!;
  }

  async delete(caller: NetworkCaller, id: string, opts: { internal?: boolean } = {}): Promise<void> {
    const p = await this.visible(caller, id);
    if (
      !opts.internal &&
      (p.body.device_owner === DEVICE_OWNER.routerInterface ||
        p.body.device_owner === DEVICE_OWNER.routerGateway ||
        p.body.device_owner === DEVICE_OWNER.floatingIp)
    ) {
      throw conflictOf(
        'service_port_in_use',
        `Port ${id} cannot be deleted directly via the port API: has device owner ${p.body.device_owner}.`,
      );
    }
    await this.ctx.store.transaction(async (tx) => {
      // A floating IP on this port is disassociated, as Neutron does when the port goes.
      for (const f of await tx.list<{ port_id: string | null }>('floatingip')) {
        if (f.body.port_id === id)
          await tx.update('floatingip', f.id, { ...f.body, port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
      }
      await tx.delete('port', id);
    });
    this.ctx.changed();
  }

  /** The agent reports a port plugged (ACTIVE) or gone (DOWN). */
  async setStatus(id: string, status: PortBody['status']): Promise<void> {
    const p = await this.ctx.store.get<PortBody>('port', id);
    if (!p || p.body.status === status) return;
    await this.ctx.store.update('port', id, { ...p.body, status });
  }

  /** Every network with a DHCP-enabled subnet has one DHCP port, with an address on each such subnet. */
  async syncDhcpPort(networkId: string): Promise<void> {
    const network = await this.ctx.store.get<NetworkBody>('network', networkId);
    if (!network) return;
    const subnets = (await this.ctx.store.list<SubnetBody>('subnet', { parentId: networkId })).filter(
      (s) => s.body.enable_dhcp && !isAutoAddressed(s.body),
    );
    const existing = (await this.ctx.store.list<PortBody>('port', { parentId: networkId })).find(
      (p) => p.body.device_owner === DEVICE_OWNER.dhcp,
    );
    if (subnets.length === 0) {
      if (existing) await this.ctx.store.delete('port', existing.id);
      return;
    }
    const wanted = subnets.map((s) => s.id);
    const have = existing?.body.fixed_ips.map((f) => f.subnet_id) ?? [];
    if (existing && wanted.length === have.length && wanted.every((w) => have.includes(w))) return;
    const fixed = wanted.map((subnet_id) => existing?.body.fixed_ips.find((f) => f.subnet_id === subnet_id) ?? { subnet_id });
    if (existing) await this.update(SERVICE_CALLER, existing.id, { fixed_ips: fixed });
    else {
      await this.create(SERVICE_CALLER, {
        network_id: networkId,
        project_id: network.projectId,
        device_owner: DEVICE_OWNER.dhcp,
        device_id: `dhcp-${networkId}`,
        fixed_ips: fixed,
      });
    }
  }

  async #mac(tx: ResourceStore, networkId: string, owner: string, asked?: string): Promise<string> {
    if (asked !== undefined) {
      const mac = asked.toLowerCase();
      if (!MAC.test(mac) || mac === '00:00:00:00:00:00' || (parseInt(mac.slice(0, 2), 16) & 1) === 1)
        throw invalidInput(`'${asked}' is not a valid MAC address`);
      if (!(await tx.tryClaim(`mac:${networkId}:${mac}`, owner)))
        throw conflictOf('mac_address_in_use', `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
      return mac;
    }
    for (let i = 0; i < 16; i++) {
      const mac = `${this.ctx.settings.macPrefix}:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      if (await tx.tryClaim(`mac:${networkId}:${mac}`, owner)) return mac;
    }
    throw conflictOf('mac_address_generation_failure', `Unable to generate unique mac on network ${networkId}.`);
  }

  /** Addresses for a port: those asked for, or one IPv4 plus every auto-addressed IPv6 subnet. */
  async #fixedIps(
    tx: ResourceStore,
    networkId: string,
    owner: string,
    mac: string,
    asked: PortInput['fixed_ips'],
    deviceOwner: string,
    previous: FixedIp[] = [],
  ): Promise<FixedIp[]> {
    const subnets = await tx.list<SubnetBody>('subnet', { parentId: networkId });
    const out: FixedIp[] = [];
    const router = deviceOwner === DEVICE_OWNER.routerInterface;
    if (asked === undefined) {
      const v4 = subnets.filter((s) => s.body.ip_version === 4);
      for (const s of v4) {
        try {
          out.push({ subnet_id: s.id, ip_address: await allocateIp(tx, s, owner, { mac }) });
          break;
        } catch (e) {
          if (s === v4[v4.length - 1]) throw e;
        }
      }
      const v6 = subnets.filter((s) => s.body.ip_version === 6);
      const stateful = v6.find((s) => !isAutoAddressed(s.body));
      for (const s of v6) {
        if (isAutoAddressed(s.body) && (router || deviceOwner === DEVICE_OWNER.dhcp)) continue;
        if (!isAutoAddressed(s.body) && s !== stateful) continue;
        out.push({ subnet_id: s.id, ip_address: await allocateIp(tx, s, owner, { mac }) });
      }
      return out;
    }
    for (const f of asked) {
      let subnet = f.subnet_id ? subnets.find((s) => s.id === f.subnet_id) : undefined;
      if (f.subnet_id && !subnet) {
        const elsewhere = await tx.get('subnet', f.subnet_id);
        if (!elsewhere) throw notFoundOf('subnet', f.subnet_id);
        throw invalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${f.subnet_id}`);
      }
      if (!subnet && f.ip_address) {
        const ip = parseIp(f.ip_address);
        subnet = ip ? subnets.find((s) => cidrContains(parseCidr(s.body.cidr)!, ip.version, ip.value)) : undefined;
        if (!subnet) throw invalidInput(`IP address ${f.ip_address} is not a valid IP for any of the subnets on the specified network.`);
      }
      if (!subnet) throw invalidInput('fixed_ips needs a subnet_id or an ip_address');
      if (f.ip_address === undefined) {
        const kept = previous.find((p) => p.subnet_id === subnet.id && !out.some((o) => o.ip_address === p.ip_address));
        if (kept) {
          out.push({
            subnet_id: subnet.id,
            ip_address: await allocateIp(tx, subnet, owner, { ip: kept.ip_address, mac, allowGateway: true }),
          });
          continue;
        }
      }
      out.push({ subnet_id: subnet.id, ip_address: await allocateIp(tx, subnet, owner, { ip: f.ip_address, mac, allowGateway: router }) });
    }
    return out;
  }

  async #groups(caller: NetworkCaller, projectId: string, deviceOwner: string, portSecurity: boolean, asked?: string[]): Promise<string[]> {
    if (asked === undefined) {
      if (!portSecurity || deviceOwner.startsWith('network:')) return [];
      return [await this.groups.defaultGroupId(projectId)];
    }
    if (asked.length > 0 && !portSecurity) {
      throw badRequestOf(
        'Port has security group associated. Cannot disable port security or ip address until security group is removed',
        'port_security_and_ip_required_for_security_groups',
      );
    }
    const out: string[] = [];
    for (const id of asked) {
      const g = await this.ctx.store.get('security_group', id);
      if (!g || (g.projectId !== projectId && !caller.isAdmin)) throw notFoundOf('security_group', id);
      if (!out.includes(id)) out.push(id);
    }
    return out;
  }

  #pairs(pairs: { ip_address?: string; mac_address?: string }[]): AddressPair[] {
    const out: AddressPair[] = [];
    for (const p of pairs) {
      if (!p.ip_address) throw badRequestOf('AllowedAddressPair must contain ip_address', 'allowed_address_pair_ip_address_required');
      const cidr = parseCidr(p.ip_address.includes('/') ? p.ip_address : `${p.ip_address}/${p.ip_address.includes(':') ? 128 : 32}`);
      if (!cidr) throw invalidInput(`'${p.ip_address}' is not a valid IP address`);
      const mac = p.mac_address?.toLowerCase() ?? '';
      if (mac && !MAC.test(mac)) throw invalidInput(`'${p.mac_address}' is not a valid MAC address`);
      if (out.some((o) => o.ip_address === p.ip_address && o.mac_address === mac))
        throw badRequestOf(
          'Request contains duplicate address pair: mac_address ' + mac + ' ip_address ' + p.ip_address + '.',
          'duplicate_address_pair_in_request',
        );
      out.push({ ip_address: p.ip_address, mac_address: mac });
    }
    return out;
  }
}

/** Pairs given without a MAC take the port's own. */
const withPortMac = (pairs: AddressPair[], mac: string): AddressPair[] =>
  pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address || mac }));

const dhcpOptions = (opts: NonNullable<PortInput['extra_dhcp_opts']>): PortBody['extra_dhcp_opts'] =>
  opts.map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: o.ip_version ?? 4 }));

/** Binding to a host: the tap and bridge the agent there creates (Neutron's linuxbridge names). */
function bind(body: PortBody, portId: string, host: string): void {
  body['binding:host_id'] = host;
  if (!host) {
    body['binding:vif_type'] = 'unbound';
    body['binding:vif_details'] = {};
    return;
  }
  body['binding:vif_type'] = 'tap';
  body['binding:vif_details'] = { port_filter: true, connectivity: 'l2', tap: tapName(portId), bridge_name: bridgeName(body.network_id) };
}
