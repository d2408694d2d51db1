import { KumoError } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import type { Stored } from '../store/resource-store.js';
import { SERVICE_CALLER, owns, type NetworkCaller } from './caller.js';
import { badRequestOf, conflictOf, notAuthorized, notFoundOf } from './errors.js';
import { DEVICE_OWNER, type FloatingIpBody, type NetworkBody, type PortBody, type RouterBody } from './models.js';
import type { NetworkContext } from './network-context.js';
import { targetProject } from './network-service.js';
import type { PortService } from './port-service.js';
import type { NetworkQuotaService } from './quota-service.js';

export type StoredFloatingIp = Stored<FloatingIpBody>;

export interface FloatingIpInput {
  floating_network_id?: string;
  floating_ip_address?: string;
  subnet_id?: string;
  port_id?: string | null;
  fixed_ip_address?: string | null;
  description?: string;
  dns_domain?: string;
  dns_name?: string;
  project_id?: string;
  tenant_id?: string;
}

export class FloatingIpService {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly ports: PortService,
    private readonly quotas: NetworkQuotaService,
  ) {}

  async visible(caller: NetworkCaller, id: string): Promise<StoredFloatingIp> {
    const f = await this.ctx.store.get<FloatingIpBody>('floatingip', id);
    if (!f || !owns(caller, f.projectId)) throw notFoundOf('floatingip', id);
    return f;
  }

  list(caller: NetworkCaller): Promise<StoredFloatingIp[]> {
    return this.ctx.store.list<FloatingIpBody>('floatingip', caller.isAdmin ? {} : { projectId: caller.projectId ?? '' });
  }

  async create(caller: NetworkCaller, input: FloatingIpInput): Promise<StoredFloatingIp> {
    if (!input.floating_network_id) throw badRequestOf("Failed to parse request. Required attribute 'floating_network_id' not specified");
    const projectId = targetProject(caller, input, 'create_floatingip');
    if (input.floating_ip_address !== undefined && !caller.isAdmin) throw notAuthorized('create_floatingip:floating_ip_address');
    const net = await this.ctx.store.get<NetworkBody>('network', input.floating_network_id);
    if (!net || (!owns(caller, net.projectId) && !net.body.shared && !net.body['router:external']))
      throw notFoundOf('network', input.floating_network_id);
    if (!net.body['router:external']) {
      throw badRequestOf(`Bad floatingip request: Network ${net.id} is not a valid external network.`);
    }
    await this.quotas.check(projectId, 'floatingip');
    const id = newUuid();
    const fixed =
      input.floating_ip_address || input.subnet_id
        ? [
            {
              ...(input.subnet_id ? { subnet_id: input.subnet_id } : {}),
              ...(input.floating_ip_address ? { ip_address: input.floating_ip_address } : {}),
            },
          ]
        : undefined;
    const port = await this.ports.create(SERVICE_CALLER, {
      network_id: net.id,
      project_id: '',
      device_id: id,
      device_owner: DEVICE_OWNER.floatingIp,
      ...(fixed ? { fixed_ips: fixed } : {}),
    });
    const v4 = port.body.fixed_ips[0];
    if (!v4) {
      await this.ports.delete(SERVICE_CALLER, port.id, { internal: true });
      throw badRequestOf(`Bad floatingip request: Network ${net.id} has no subnet to allocate from.`);
    }
    const body: FloatingIpBody = {
      floating_network_id: net.id,
      floating_ip_address: v4.ip_address,
      subnet_id: v4.subnet_id,
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
      description: input.description ?? '',
      dns_domain: input.dns_domain ?? '',
      dns_name: input.dns_name ?? '',
      tags: [],
    };
    try {
      if (input.port_id)
        Object.assign(body, await this.#association(caller, projectId, id, body, input.port_id, input.fixed_ip_address ?? undefined));
      const f = await this.ctx.store.insert<FloatingIpBody>('floatingip', { id, projectId, body });
      this.ctx.changed();
      await this.#tellServers([body.port_id]);
      return f;
    } catch (e) {
      await this.ports.delete(SERVICE_CALLER, port.id, { internal: true });
      throw e;
    }
  }

  async update(caller: NetworkCaller, id: string, input: FloatingIpInput): Promise<StoredFloatingIp> {
    const f = await this.visible(caller, id);
    const body = { ...f.body };
    if (input.description !== undefined) body.description = input.description;
    if (input.port_id !== undefined) {
      if (input.port_id === null) Object.assign(body, { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
      else Object.assign(body, await this.#association(caller, f.projectId, id, body, input.port_id, input.fixed_ip_address ?? undefined));
    }
    await this.ctx.store.update('floatingip', id, body);
    this.ctx.changed();
    await this.#tellServers([f.body.port_id, body.port_id]);
    return (await this.ctx.store.get<FloatingIpBody>('floatingip', id))!;
  }

  /** Compute shows floating IPs among a server's addresses: the servers behind these ports hear of the change. */
  async #tellServers(portIds: (string | null)[]): Promise<void> {
    for (const portId of new Set(portIds)) {
      if (!portId) continue;
      const p = await this.ctx.store.get<PortBody>('port', portId);
      if (p && p.body.device_owner.startsWith('compute:') && p.body.device_id) this.ctx.serverPortsChanged(p.body.device_id);
    }
  }

  async delete(caller: NetworkCaller, id: string): Promise<void> {
    const f = await this.visible(caller, id);
    const port = (await this.ctx.store.list<PortBody>('port')).find(
      (p) => p.body.device_owner === DEVICE_OWNER.floatingIp && p.body.device_id === id,
    );
    await this.ctx.store.delete('floatingip', id);
    if (port) await this.ports.delete(SERVICE_CALLER, port.id, { internal: true });
    this.ctx.changed();
    await this.#tellServers([f.body.port_id]);
  }

  /** Where a floating IP goes for a port: its fixed address and the router that reaches it from the external network. */
  async #association(
    caller: NetworkCaller,
    projectId: string,
    fipId: string,
    fip: FloatingIpBody,
    portId: string,
    fixedAsked?: string,
  ): Promise<Pick<FloatingIpBody, 'port_id' | 'fixed_ip_address' | 'router_id' | 'status'>> {
    const port = await this.ports.visible(caller, portId).catch(() => {
      throw notFoundOf('port', portId);
    });
    if (port.projectId !== projectId && !caller.isAdmin) throw notFoundOf('port', portId);
    if (port.body.network_id === fip.floating_network_id) {
      throw badRequestOf(
        `Bad floatingip request: Port ${portId} is on the external network ${fip.floating_network_id} and cannot be associated with a floating IP.`,
      );
    }
    const v4 = port.body.fixed_ips.filter((f) => !f.ip_address.includes(':'));
    const fixed = fixedAsked ? v4.find((f) => f.ip_address === fixedAsked) : v4[0];
    if (!fixed) {
      throw badRequestOf(
        fixedAsked
          ? `Bad floatingip request: Port ${portId} does not have fixed ip ${fixedAsked}.`
          : `Bad floatingip request: Port ${portId} has no IPv4 address to associate with a floating IP.`,
      );
    }
    const others = await this.ctx.store.list<FloatingIpBody>('floatingip');
    const clash = others.find((o) => o.id !== fipId && o.body.port_id === portId && o.body.fixed_ip_address === fixed.ip_address);
    if (clash) {
      throw conflictOf(
        'floating_ip_port_already_associated',
        `Cannot associate floating IP ${fip.floating_ip_address} (${fipId}) with port ${portId} using fixed IP ${fixed.ip_address}, as that fixed IP already has a floating IP on external network ${fip.floating_network_id}.`,
      );
    }
    const routers = await this.ctx.store.list<RouterBody>('router');
    const interfaces = (await this.ctx.store.list<PortBody>('port', { parentId: port.body.network_id })).filter(
      (p) => p.body.device_owner === DEVICE_OWNER.routerInterface && p.body.fixed_ips.some((x) => x.subnet_id === fixed.subnet_id),
    );
    const router = routers.find(
      (r) => r.body.external_gateway_info?.network_id === fip.floating_network_id && interfaces.some((i) => i.body.device_id === r.id),
    );
    if (!router) {
      throw new KumoError(
        'external_gateway_for_floating_i_p_not_found',
        404,
        `External network ${fip.floating_network_id} is not reachable from subnet ${fixed.subnet_id}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
      );
    }
    // ACTIVE once associated: the agent that hosts the router applies the NAT from this state.
    return { port_id: portId, fixed_ip_address: fixed.ip_address, router_id: router.id, status: 'ACTIVE' };
  }
}
