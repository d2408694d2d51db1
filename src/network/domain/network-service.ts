import { KumoError } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import { ClaimTaken, type Stored } from '../store/resource-store.js';
import { owns, type NetworkCaller } from './caller.js';
import { badRequestOf, conflictOf, inUse, invalidInput, notAuthorized, notFoundOf } from './errors.js';
import { DEVICE_OWNER, type FloatingIpBody, type NetworkBody, type PortBody } from './models.js';
import type { NetworkContext } from './network-context.js';
import type { NetworkQuotaService } from './quota-service.js';

export type StoredNetwork = Stored<NetworkBody>;

export interface NetworkInput {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  shared?: boolean;
  'router:external'?: boolean;
  mtu?: number;
  port_security_enabled?: boolean;
  'provider:network_type'?: string;
  'provider:physical_network'?: string | null;
  'provider:segmentation_id'?: number | null;
  availability_zone_hints?: string[];
  is_default?: boolean;
  dns_domain?: string;
  project_id?: string;
  tenant_id?: string;
}

/** VXLAN carries 50 bytes of headers inside the physical MTU. */
const VXLAN_OVERHEAD = 50;

/** The project a create request is for: the caller's, or (admins only) the one named. */
export function targetProject(caller: NetworkCaller, input: { project_id?: string; tenant_id?: string }, action: string): string {
  if (input.project_id && input.tenant_id && input.project_id !== input.tenant_id) {
    throw badRequestOf("'project_id' and 'tenant_id' do not match");
  }
  const asked = input.project_id ?? input.tenant_id;
  if (asked !== undefined && asked !== caller.projectId && !caller.isAdmin) throw notAuthorized(action);
  // The service's own ports (router gateways, floating IPs) belong to no project: ''.
  const project = asked ?? caller.projectId;
  if (project === null || (project === '' && asked === undefined))
    throw badRequestOf('A project is required (the token is not scoped to one).');
  return project;
}

export class NetworkService {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly quotas: NetworkQuotaService,
  ) {}

  /** A network the caller may see (own, shared or external); 404 otherwise. */
  async visible(caller: NetworkCaller, id: string): Promise<StoredNetwork> {
    const n = await this.ctx.store.get<NetworkBody>('network', id);
    if (!n || !this.canSee(caller, n)) throw notFoundOf('network', id);
    return n;
  }

  canSee(caller: NetworkCaller, n: StoredNetwork): boolean {
    return owns(caller, n.projectId) || n.body.shared || n.body['router:external'];
  }

  async list(caller: NetworkCaller): Promise<StoredNetwork[]> {
    const all = await this.ctx.store.list<NetworkBody>('network');
    return all.filter((n) => this.canSee(caller, n));
  }

  async create(caller: NetworkCaller, input: NetworkInput): Promise<StoredNetwork> {
    const projectId = targetProject(caller, input, 'create_network');
    for (const attr of [
      'provider:network_type',
      'provider:physical_network',
      'provider:segmentation_id',
      'router:external',
      'shared',
      'is_default',
    ] as const) {
      if (input[attr] !== undefined && input[attr] !== false && !caller.isAdmin) throw notAuthorized(`create_network:${attr}`);
    }
    await this.quotas.check(projectId, 'network');
    const id = newUuid();
    const segment = await this.#segment(input, id);
    const maxMtu = segment.type === 'vxlan' ? this.ctx.settings.globalMtu - VXLAN_OVERHEAD : this.ctx.settings.globalMtu;
    if (input.mtu !== undefined && (input.mtu < 68 || input.mtu > maxMtu)) {
      throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`);
    }
    const body: NetworkBody = {
      name: input.name ?? '',
      description: input.description ?? '',
      admin_state_up: input.admin_state_up ?? true,
      shared: input.shared ?? false,
      'router:external': input['router:external'] ?? false,
      mtu: input.mtu ?? maxMtu,
      port_security_enabled: input.port_security_enabled ?? true,
      'provider:network_type': segment.type,
      'provider:physical_network': segment.physnet,
      'provider:segmentation_id': segment.segId,
      availability_zone_hints: input.availability_zone_hints ?? [],
      is_default: input.is_default ?? false,
      dns_domain: input.dns_domain ?? '',
      tags: [],
    };
    try {
      const n = await this.ctx.store.insert('network', { id, projectId, body }, segment.claims);
      this.ctx.changed();
      return n;
    } catch (e) {
      if (e instanceof ClaimTaken) throw segment.taken();
      throw e;
    }
  }

  /** The segment a new network gets: the provider attributes given (admins) or a VXLAN id from the range. */
  async #segment(
    input: NetworkInput,
    owner: string,
  ): Promise<{
    type: NetworkBody['provider:network_type'];
    physnet: string | null;
    segId: number | null;
    claims: string[];
    taken: () => Error;
  }> {
    const type = input['provider:network_type'];
    const physnet = input['provider:physical_network'] ?? null;
    const segId = input['provider:segmentation_id'] ?? null;
    const knownPhysnet = (p: string | null): string => {
      if (!p) throw invalidInput(`physical_network required for ${type} provider network`);
      if (!this.ctx.settings.physicalNetworks.has(p)) throw invalidInput(`physical_network '${p}' unknown for ${type} provider network`);
      return p;
    };
    switch (type) {
      case 'flat': {
        if (segId !== null) throw invalidInput('segmentation_id specified for flat network');
        const p = knownPhysnet(physnet);
        return {
          type,
          physnet: p,
          segId: null,
          claims: [`seg:flat:${p}`],
          taken: () => conflictOf('flat_network_in_use', `Unable to create the flat network. Physical network ${p} is in use.`),
        };
      }
      case 'vlan': {
        const p = knownPhysnet(physnet);
        if (segId === null || !Number.isInteger(segId) || segId < 1 || segId > 4094) {
          throw invalidInput('segmentation_id out of range (1 through 4094)');
        }
        return {
          type,
          physnet: p,
          segId,
          claims: [`seg:vlan:${p}:${segId}`],
          taken: () => conflictOf('vlan_id_in_use', `Unable to create the network. The VLAN ${segId} on physical network ${p} is in use.`),
        };
      }
      case 'vxlan':
      case undefined: {
        if (physnet) throw invalidInput('provider:physical_network specified for VXLAN network');
        const [first, last] = this.ctx.settings.vniRange;
        if (segId !== null) {
          if (!Number.isInteger(segId) || segId < 1 || segId > 16777215)
            throw invalidInput('segmentation_id out of range (1 through 16777215)');
          return {
            type: 'vxlan',
            physnet: null,
            segId,
            claims: [`seg:vxlan:${segId}`],
            taken: () => conflictOf('tunnel_id_in_use', `Unable to create the network. The tunnel ID ${segId} is in use.`),
          };
        }
        const used = new Set((await this.ctx.store.claims('seg:vxlan:')).map((c) => Number(c.claim.slice(10))));
        for (let vni = first; vni <= last; vni++) {
          if (used.has(vni)) continue;
          if (await this.ctx.store.tryClaim(`seg:vxlan:${vni}`, owner)) {
            return { type: 'vxlan', physnet: null, segId: vni, claims: [], taken: () => new Error('unreachable') };
          }
        }
        throw new KumoError('no_network_available', 503, 'Unable to create the network. No tenant network is available for allocation.');
      }
      default:
        throw invalidInput(`network_type value '${type}' not supported`);
    }
  }

  async update(caller: NetworkCaller, id: string, input: NetworkInput): Promise<StoredNetwork> {
    const n = await this.visible(caller, id);
    if (!owns(caller, n.projectId)) throw notAuthorized('update_network');
    for (const attr of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const) {
      if (input[attr] !== undefined && input[attr] !== n.body[attr])
        throw invalidInput('Plugin does not support updating provider attributes');
    }
    for (const attr of ['router:external', 'shared', 'is_default'] as const) {
      if (input[attr] !== undefined && input[attr] !== n.body[attr] && !caller.isAdmin) throw notAuthorized(`update_network:${attr}`);
    }
    if (input.project_id !== undefined || input.tenant_id !== undefined) throw invalidInput('project_id cannot be updated');
    if (input.shared === false && n.body.shared) {
      const others = (await this.ports(id)).filter((p) => p.projectId !== n.projectId && !p.body.device_owner.startsWith('network:'));
      if (others.length > 0)
        throw inUse('invalid_shared_setting', `Unable to reconfigure sharing settings for network ${id}. Multiple tenants are using it.`);
    }
    const body: NetworkBody = { ...n.body };
    for (const k of [
      'name',
      'description',
      'admin_state_up',
      'shared',
      'router:external',
      'mtu',
      'port_security_enabled',
      'is_default',
      'dns_domain',
    ] as const) {
      if (input[k] !== undefined) (body as unknown as Record<string, unknown>)[k] = input[k];
    }
    await this.ctx.store.update('network', id, body);
    this.ctx.changed();
    return (await this.ctx.store.get<NetworkBody>('network', id))!;
  }

  ports(networkId: string): Promise<Stored<PortBody>[]> {
    return this.ctx.store.list<PortBody>('port', { parentId: networkId });
  }

  /** Deletes a network, its subnets and its DHCP ports; 409 while other ports use it. */
  async delete(caller: NetworkCaller, id: string): Promise<void> {
    const n = await this.visible(caller, id);
    if (!owns(caller, n.projectId)) throw notAuthorized('delete_network');
    // Floating IPs from an external network go with it (Neutron's L3 plugin does so), with their ports.
    const fips = n.body['router:external']
      ? (await this.ctx.store.list<FloatingIpBody>('floatingip')).filter((f) => f.body.floating_network_id === id)
      : [];
    const all = await this.ports(id);
    const ports = all.filter((p) => p.body.device_owner !== DEVICE_OWNER.floatingIp);
    if (ports.some((p) => p.body.device_owner !== DEVICE_OWNER.dhcp)) {
      throw inUse(
        'network_in_use',
        `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`,
      );
    }
    await this.ctx.store.transaction(async (tx) => {
      for (const f of fips) await tx.delete('floatingip', f.id);
      for (const p of all) await tx.delete('port', p.id);
      for (const s of await tx.list('subnet', { parentId: id })) await tx.delete('subnet', s.id);
      await tx.delete('network', id);
    });
    this.ctx.changed();
  }
}
