import { KumoError } from '../../lib/errors.js';
import { newUuid } from '../../lib/ids.js';
import type { Stored } from '../store/resource-store.js';
import { SERVICE_CALLER, owns, type NetworkCaller } from './caller.js';
import { badRequestOf, conflictOf, inUse, invalidInput, notAuthorized, notFoundOf } from './errors.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIp } from './ip-math.js';
import {
  DEVICE_OWNER,
  type ExternalGatewayInfo,
  type HostRoute,
  type NetworkBody,
  type PortBody,
  type RouterBody,
  type SubnetBody,
} from './models.js';
import type { NetworkContext } from './network-context.js';
import { targetProject } from './network-service.js';
import type { PortService } from './port-service.js';
import type { NetworkQuotaService } from './quota-service.js';

export type StoredRouter = Stored<RouterBody>;

export interface RouterInput {
  name?: string;
  description?: string;
  admin_state_up?: boolean;
  external_gateway_info?: {
    network_id?: string;
    enable_snat?: boolean;
    external_fixed_ips?: { subnet_id?: string; ip_address?: string }[];
  } | null;
  routes?: HostRoute[] | null;
  distributed?: boolean;
  ha?: boolean;
  availability_zone_hints?: string[];
  project_id?: string;
  tenant_id?: string;
}

export interface InterfaceInfo {
  id: string;
  tenant_id: string;
  project_id: string;
  port_id: string;
  network_id: string;
  subnet_id: string;
  subnet_ids: string[];
}

export class RouterService {
  constructor(
    private readonly ctx: NetworkContext,
    private readonly ports: PortService,
    private readonly quotas: NetworkQuotaService,
  ) {}

  async visible(caller: NetworkCaller, id: string): Promise<StoredRouter> {
    const r = await this.ctx.store.get<RouterBody>('router', id);
    if (!r || !owns(caller, r.projectId)) throw notFoundOf('router', id);
    return r;
  }

  list(caller: NetworkCaller): Promise<StoredRouter[]> {
    return this.ctx.store.list<RouterBody>('router', caller.isAdmin ? {} : { projectId: caller.projectId ?? '' });
  }

  async create(caller: NetworkCaller, input: RouterInput): Promise<StoredRouter> {
    const projectId = targetProject(caller, input, 'create_router');
    for (const k of ['distributed', 'ha'] as const) if (input[k] && !caller.isAdmin) throw notAuthorized(`create_router:${k}`);
    if (input.ha) throw badRequestOf('HA routers are not supported.');
    await this.quotas.check(projectId, 'router');
    const id = newUuid();
    const body: RouterBody = {
      name: input.name ?? '',
      description: input.description ?? '',
      admin_state_up: input.admin_state_up ?? true,
      status: 'ACTIVE',
      external_gateway_info: null,
      routes: [],
      distributed: input.distributed ?? false,
      ha: false,
      availability_zone_hints: input.availability_zone_hints ?? [],
      tags: [],
    };
    let r = await this.ctx.store.insert<RouterBody>('router', { id, projectId, body });
    if (input.external_gateway_info) {
      try {
        r = await this.#setGateway(caller, r, input.external_gateway_info);
      } catch (e) {
        await this.ctx.store.delete('router', id);
        throw e;
      }
    }
    this.ctx.changed();
    return r;
  }

  async update(caller: NetworkCaller, id: string, input: RouterInput): Promise<StoredRouter> {
    let r = await this.visible(caller, id);
    if (input.external_gateway_info !== undefined) r = await this.#setGateway(caller, r, input.external_gateway_info);
    const body = { ...r.body };
    if (input.name !== undefined) body.name = input.name;
    if (input.description !== undefined) body.description = input.description;
    if (input.admin_state_up !== undefined) body.admin_state_up = input.admin_state_up;
    if (input.distributed !== undefined && input.distributed !== body.distributed) throw notAuthorized('update_router:distributed');
    if (input.routes !== undefined) body.routes = await this.#routes(r, input.routes ?? []);
    await this.ctx.store.update('router', id, body);
    this.ctx.changed();
    return (await this.ctx.store.get<RouterBody>('router', id))!;
  }

  async delete(caller: NetworkCaller, id: string): Promise<void> {
    const r = await this.visible(caller, id);
    const ports = await this.routerPorts(id);
    if (ports.some((p) => p.body.device_owner === DEVICE_OWNER.routerInterface))
      throw inUse('router_in_use', `Router ${id} still has ports`);
    const fips = (await this.ctx.store.list<{ router_id: string | null }>('floatingip')).filter((f) => f.body.router_id === id);
    if (fips.length > 0) throw inUse('router_in_use', `Router ${id} still has floating IPs associated`);
    for (const p of ports) await this.ports.delete(SERVICE_CALLER, p.id, { internal: true });
    await this.ctx.store.delete('router', r.id);
    this.ctx.changed();
  }

  async routerPorts(routerId: string): Promise<Stored<PortBody>[]> {
    return (await this.ctx.store.list<PortBody>('port')).filter(
      (p) =>
        p.body.device_id === routerId &&
        (p.body.device_owner === DEVICE_OWNER.routerInterface || p.body.device_owner === DEVICE_OWNER.routerGateway),
    );
  }

  async addInterface(caller: NetworkCaller, id: string, input: { subnet_id?: string; port_id?: string }): Promise<InterfaceInfo> {
    const r = await this.visible(caller, id);
    if (!input.subnet_id && !input.port_id) throw badRequestOf('Bad router request: Either subnet_id or port_id must be specified.');
    if (input.subnet_id && input.port_id) throw badRequestOf('Bad router request: Cannot specify both subnet-id and port-id.');
    const existing = (await this.routerPorts(id)).filter((p) => p.body.device_owner === DEVICE_OWNER.routerInterface);
    const existingSubnets = existing.flatMap((p) => p.body.fixed_ips.map((f) => f.subnet_id));
    let port: Stored<PortBody>;
    if (input.port_id) {
      port = await this.ports.visible(caller, input.port_id);
      if (port.body.device_id)
        throw conflictOf(
          'port_in_use',
          `Unable to complete operation on port ${port.id} for network ${port.body.network_id}. Port already has an attached device ${port.body.device_id}.`,
        );
      if (port.body.fixed_ips.length === 0) throw badRequestOf(`Bad router request: Router port must have at least one fixed IP.`);
      for (const f of port.body.fixed_ips) await this.#checkSubnet(caller, f.subnet_id, existingSubnets);
      port = await this.ports.update(SERVICE_CALLER, port.id, { device_id: id, device_owner: DEVICE_OWNER.routerInterface });
    } else {
      const subnet = await this.#checkSubnet(caller, input.subnet_id!, existingSubnets);
      if (!subnet.body.gateway_ip) throw badRequestOf(`Bad router request: Subnet for router interface must have a gateway IP.`);
      port = await this.ports.create(SERVICE_CALLER, {
        network_id: subnet.body.network_id,
        project_id: r.projectId,
        device_id: id,
        device_owner: DEVICE_OWNER.routerInterface,
        fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.body.gateway_ip }],
      });
    }
    await this.ctx.store.update('router', id, r.body);
    this.ctx.changed();
    return interfaceInfo(r, port);
  }

  async removeInterface(caller: NetworkCaller, id: string, input: { subnet_id?: string; port_id?: string }): Promise<InterfaceInfo> {
    const r = await this.visible(caller, id);
    if (!input.subnet_id && !input.port_id) throw badRequestOf('Bad router request: Either subnet_id or port_id must be specified.');
    const ports = (await this.routerPorts(id)).filter((p) => p.body.device_owner === DEVICE_OWNER.routerInterface);
    const port = input.port_id
      ? ports.find((p) => p.id === input.port_id)
      : ports.find((p) => p.body.fixed_ips.some((f) => f.subnet_id === input.subnet_id));
    if (!port) {
      const what = input.port_id ? `port ${input.port_id}` : `subnet ${input.subnet_id}`;
      throw new KumoError('router_interface_not_found', 404, `Router ${id} does not have an interface with ${what}`);
    }
    if (input.port_id && input.subnet_id && !port.body.fixed_ips.some((f) => f.subnet_id === input.subnet_id)) {
      throw conflictOf('subnet_mismatch_for_port', `Subnet ${input.subnet_id} does not match with the given port ${input.port_id}`);
    }
    const subnetIds = port.body.fixed_ips.map((f) => f.subnet_id);
    const fips = (await this.ctx.store.list<{ router_id: string | null; port_id: string | null }>('floatingip')).filter(
      (f) => f.body.router_id === id,
    );
    for (const f of fips) {
      const fp = f.body.port_id ? await this.ctx.store.get<PortBody>('port', f.body.port_id) : undefined;
      if (fp?.body.fixed_ips.some((x) => subnetIds.includes(x.subnet_id))) {
        throw conflictOf(
          'router_interface_in_use_by_floating_ip',
          `Router interface for subnet ${subnetIds[0]} on router ${id} cannot be deleted, as it is required by one or more floating IPs.`,
        );
      }
    }
    await this.ports.delete(SERVICE_CALLER, port.id, { internal: true });
    await this.ctx.store.update('router', id, r.body);
    this.ctx.changed();
    return interfaceInfo(r, port);
  }

  async #checkSubnet(caller: NetworkCaller, subnetId: string, existing: string[]): Promise<Stored<SubnetBody>> {
    const subnet = await this.ctx.store.get<SubnetBody>('subnet', subnetId);
    if (!subnet) throw notFoundOf('subnet', subnetId);
    const net = await this.ctx.store.get<NetworkBody>('network', subnet.body.network_id);
    if (!owns(caller, subnet.projectId) && !net?.body.shared) throw notFoundOf('subnet', subnetId);
    if (existing.includes(subnetId)) throw badRequestOf(`Bad router request: Router already has a port on subnet ${subnetId}.`);
    const cidr = parseCidr(subnet.body.cidr)!;
    for (const other of existing) {
      const o = await this.ctx.store.get<SubnetBody>('subnet', other);
      if (o && cidrsOverlap(parseCidr(o.body.cidr)!, cidr)) {
        throw badRequestOf(
          `Bad router request: Cidr ${subnet.body.cidr} of subnet ${subnetId} overlaps with cidr ${o.body.cidr} of subnet ${o.id}.`,
        );
      }
    }
    return subnet;
  }

  async #setGateway(caller: NetworkCaller, r: StoredRouter, info: RouterInput['external_gateway_info']): Promise<StoredRouter> {
    const current = (await this.routerPorts(r.id)).find((p) => p.body.device_owner === DEVICE_OWNER.routerGateway);
    if (!info || !info.network_id) {
      if (info && !info.network_id && Object.keys(info).length > 0)
        throw badRequestOf('Bad router request: external_gateway_info needs network_id.');
      const fips = (await this.ctx.store.list<{ router_id: string | null }>('floatingip')).filter((f) => f.body.router_id === r.id);
      if (fips.length > 0)
        throw conflictOf(
          'router_external_gateway_in_use_by_floating_ip',
          `Gateway cannot be updated for router ${r.id}, since a gateway to external network ${r.body.external_gateway_info?.network_id} is required by one or more floating IPs.`,
        );
      if (current) await this.ports.delete(SERVICE_CALLER, current.id, { internal: true });
      const body = { ...r.body, external_gateway_info: null };
      await this.ctx.store.update('router', r.id, body);
      return (await this.ctx.store.get<RouterBody>('router', r.id))!;
    }
    if (info.enable_snat !== undefined && !caller.isAdmin && info.enable_snat !== true)
      throw notAuthorized('update_router:external_gateway_info:enable_snat');
    if (info.external_fixed_ips !== undefined && !caller.isAdmin)
      throw notAuthorized('update_router:external_gateway_info:external_fixed_ips');
    const net = await this.ctx.store.get<NetworkBody>('network', info.network_id);
    if (!net) throw notFoundOf('network', info.network_id);
    if (!net.body['router:external']) throw badRequestOf(`Bad router request: Network ${info.network_id} is not an external network.`);
    let port = current;
    if (port && port.body.network_id !== info.network_id) {
      await this.ports.delete(SERVICE_CALLER, port.id, { internal: true });
      port = undefined;
    }
    if (!port) {
      port = await this.ports.create(SERVICE_CALLER, {
        network_id: net.id,
        project_id: '',
        device_id: r.id,
        device_owner: DEVICE_OWNER.routerGateway,
        ...(info.external_fixed_ips ? { fixed_ips: info.external_fixed_ips } : {}),
      });
    } else if (info.external_fixed_ips) {
      port = await this.ports.update(SERVICE_CALLER, port.id, { fixed_ips: info.external_fixed_ips });
    }
    const gw: ExternalGatewayInfo = {
      network_id: net.id,
      enable_snat: info.enable_snat ?? r.body.external_gateway_info?.enable_snat ?? true,
      external_fixed_ips: port.body.fixed_ips,
    };
    await this.ctx.store.update('router', r.id, { ...r.body, external_gateway_info: gw });
    return (await this.ctx.store.get<RouterBody>('router', r.id))!;
  }

  async #routes(r: StoredRouter, routes: HostRoute[]): Promise<HostRoute[]> {
    const subnets: Stored<SubnetBody>[] = [];
    for (const p of await this.routerPorts(r.id)) {
      for (const f of p.body.fixed_ips) {
        const s = await this.ctx.store.get<SubnetBody>('subnet', f.subnet_id);
        if (s) subnets.push(s);
      }
    }
    return routes.map((route) => {
      const dest = parseCidr(route.destination);
      const hop = parseIp(route.nexthop);
      if (!dest || !hop) throw invalidInput(`Invalid data format for hostroute: '${JSON.stringify(route)}'`);
      if (!subnets.some((s) => cidrContains(parseCidr(s.body.cidr)!, hop.version, hop.value))) {
        throw badRequestOf(
          `Invalid format for routes: ${JSON.stringify([route])}, the nexthop is not connected with router`,
          'invalid_routes',
        );
      }
      return { destination: route.destination, nexthop: route.nexthop };
    });
  }
}

/** What add/remove_router_interface answer: the router, the port and its subnets. */
function interfaceInfo(r: StoredRouter, port: Stored<PortBody>): InterfaceInfo {
  const subnetIds = port.body.fixed_ips.map((f) => f.subnet_id);
  return {
    id: r.id,
    tenant_id: r.projectId,
    project_id: r.projectId,
    port_id: port.id,
    network_id: port.body.network_id,
    subnet_id: subnetIds[0]!,
    subnet_ids: subnetIds,
  };
}
