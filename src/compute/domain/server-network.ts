import type { ServiceClient } from '../../lib/clients/service-client.js';
import { KumoError, badRequest, conflict, isKumoError } from '../../lib/errors.js';
import type { NetworkSpec } from '../../lib/rpc/compute-rpc.js';

/** One NIC the user asked for: a network (optionally an address on it) or an existing port. */
export interface RequestedNic {
  uuid?: string;
  port?: string;
  fixed_ip?: string;
}

/** A plugged port, as the server keeps it (Nova's network info cache). */
export interface NetworkInfo extends NetworkSpec {
  networkName: string;
  /** Ports Nova created are deleted with the server; the user's own are only unbound. */
  createdByNova: boolean;
  /** Floating IPs on this port's fixed addresses (refreshed on the network service's network_changed). */
  floating?: { fixed: string; address: string }[];
}

interface NeutronPort {
  id: string;
  network_id: string;
  mac_address: string;
  device_id: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
  'binding:vif_details'?: Record<string, unknown>;
  project_id: string;
}

const NO_SERVICE = 'endpoint_not_found';

/**
 * Compute's side of networking, over the network service's API as the
 * service user (as Nova's neutronv2 API): checks what a create asks for,
 * creates and binds ports once the host is known, frees them on delete.
 */
export class ServerNetworks {
  constructor(private readonly neutron: ServiceClient) {}

  async #available(): Promise<boolean> {
    try {
      await this.neutron.session.endpoint('network');
      return true;
    } catch (e) {
      if (isKumoError(e) && e.code === NO_SERVICE) return false;
      throw e;
    }
  }

  /**
   * The NICs a create gets: those asked for (checked to exist for the
   * project), or with `auto`/nothing the one network the project can use
   * (none: no NIC; several: Nova's 409 without `networks`).
   */
  async resolve(projectId: string, networks: 'none' | 'auto' | RequestedNic[] | undefined): Promise<RequestedNic[]> {
    if (networks === 'none') return [];
    const service = await this.#available();
    if (Array.isArray(networks) && networks.length > 0) {
      for (const n of networks) {
        if (n.port) {
          const p = service ? await this.#get<NeutronPort>(`/v2.0/ports/${encodeURIComponent(n.port)}`, 'port') : undefined;
          if (!p || p.project_id !== projectId) throw badRequest(`Port ${n.port} could not be found.`, 'port_not_found');
          if (p.device_id) throw conflict(`Port ${n.port} is still in use.`, 'port_in_use');
        } else if (n.uuid) {
          const net = service
            ? await this.#get<{ project_id: string; shared: boolean; 'router:external': boolean }>(
                `/v2.0/networks/${encodeURIComponent(n.uuid)}`,
                'network',
              )
            : undefined;
          if (!net || (net.project_id !== projectId && !net.shared))
            throw badRequest(`Network ${n.uuid} could not be found.`, 'network_not_found');
        }
      }
      return networks.map((n) => ({
        ...(n.uuid ? { uuid: n.uuid } : {}),
        ...(n.port ? { port: n.port } : {}),
        ...(n.fixed_ip ? { fixed_ip: n.fixed_ip } : {}),
      }));
    }
    if (!service) return [];
    const { body } = await this.neutron.request<{
      networks: { id: string; project_id: string; shared: boolean; 'router:external': boolean }[];
    }>('GET', '/v2.0/networks?fields=id&fields=project_id&fields=shared&fields=router:external');
    const usable = body.networks.filter((n) => n.project_id === projectId || (n.shared && !n['router:external']));
    if (usable.length === 0) return [];
    if (usable.length > 1) throw conflict('Multiple possible networks found, use a Network ID to be more specific.', 'network_ambiguous');
    return [{ uuid: usable[0]!.id }];
  }

  async #get<T>(path: string, key: string): Promise<T | undefined> {
    const r = await this.neutron.request<Record<string, T>>('GET', path, { expect: [200, 404] });
    return r.status === 200 ? r.body[key] : undefined;
  }

  /**
   * Ports for a server on `host`: created (network NICs) or taken over (port
   * NICs), bound to the host; ports of an earlier attempt are re-bound.
   */
  async allocate(
    server: { uuid: string; projectId: string; zone: string | null; securityGroups: string[] },
    nics: RequestedNic[],
    host: string,
    previous: NetworkInfo[],
  ): Promise<NetworkInfo[]> {
    if (nics.length === 0) return [];
    const made: NetworkInfo[] = [];
    try {
      const groups = await this.#groupIds(server.projectId, server.securityGroups);
      for (const [i, nic] of nics.entries()) {
        const owner = `compute:${server.zone ?? 'nova'}`;
        const bind = { device_id: server.uuid, device_owner: owner, 'binding:host_id': host };
        const earlier = previous[i];
        let port: NeutronPort;
        if (earlier) port = await this.#put(earlier.portId, bind);
        else if (nic.port) port = await this.#put(nic.port, bind);
        else {
          const body = {
            port: {
              network_id: nic.uuid,
              project_id: server.projectId,
              security_groups: groups,
              ...bind,
              ...(nic.fixed_ip ? { fixed_ips: [{ ip_address: nic.fixed_ip }] } : {}),
            },
          };
          const r = await this.neutron.request<{ port: NeutronPort }>('POST', '/v2.0/ports', { body, expect: [201, 400, 404, 409] });
          if (r.status !== 201)
            throw new KumoError(
              'port_create_failed',
              500,
              `Creating a port on network ${nic.uuid} failed: ${JSON.stringify(r.body).slice(0, 300)}`,
            );
          port = r.body.port;
        }
        made.push(await this.#info(port, earlier ? earlier.createdByNova : !nic.port));
      }
      return made;
    } catch (e) {
      await this.deallocate(made.filter((m) => !previous.some((p) => p.portId === m.portId)));
      throw e;
    }
  }

  async #put(portId: string, port: Record<string, unknown>): Promise<NeutronPort> {
    const r = await this.neutron.request<{ port: NeutronPort }>('PUT', `/v2.0/ports/${encodeURIComponent(portId)}`, { body: { port } });
    return r.body.port;
  }

  async #info(port: NeutronPort, createdByNova: boolean): Promise<NetworkInfo> {
    const { body } = await this.neutron.request<{ network: { name: string; mtu: number } }>('GET', `/v2.0/networks/${port.network_id}`);
    return {
      portId: port.id,
      networkId: port.network_id,
      networkName: body.network.name,
      macAddress: port.mac_address,
      fixedIps: port.fixed_ips.map((f) => ({ ipAddress: f.ip_address, subnetId: f.subnet_id })),
      mtu: body.network.mtu,
      vifDetails: port['binding:vif_details'] ?? {},
      createdByNova,
    };
  }

  async #groupIds(projectId: string, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const { body } = await this.neutron.request<{ security_groups: { id: string; name: string; project_id: string }[] }>(
      'GET',
      `/v2.0/security-groups?project_id=${encodeURIComponent(projectId)}&fields=id&fields=name&fields=project_id`,
    );
    return names.map((name) => {
      const g = body.security_groups.find((x) => x.name === name || x.id === name);
      if (!g) throw badRequest(`Security group ${name} not found for project ${projectId}.`, 'security_group_not_found');
      return g.id;
    });
  }

  /** Security group names a create asks for, checked against the project's groups. */
  async checkGroups(projectId: string, names: string[]): Promise<void> {
    if (!(await this.#available())) {
      for (const n of names) if (n !== 'default') throw badRequest(`Security group ${n} not found.`, 'security_group_not_found');
      return;
    }
    await this.#groupIds(projectId, names);
  }

  /** The ports of a server, as the network service has them (os-interface lists these). */
  async portsOf(
    serverId: string,
  ): Promise<
    { id: string; network_id: string; mac_address: string; status: string; fixed_ips: { subnet_id: string; ip_address: string }[] }[]
  > {
    if (!(await this.#available())) return [];
    const { body } = await this.neutron.request<{
      ports: {
        id: string;
        network_id: string;
        mac_address: string;
        status: string;
        fixed_ips: { subnet_id: string; ip_address: string }[];
      }[];
    }>('GET', `/v2.0/ports?device_id=${encodeURIComponent(serverId)}`);
    return body.ports;
  }

  /**
   * Sets a port's fixed IPs (addFixedIp/removeFixedIp): `add` a subnet of
   * its network (the first that has room), or drop `remove`. The port's
   * addresses as they are after.
   */
  async changeFixedIps(portId: string, change: { add: string } | { remove: string }): Promise<{ ipAddress: string; subnetId: string }[]> {
    const path = `/v2.0/ports/${encodeURIComponent(portId)}`;
    const { body } = await this.neutron.request<{ port: NeutronPort }>('GET', path);
    const current = body.port.fixed_ips.map((f) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address }));
    const put = async (fixed: { subnet_id: string; ip_address?: string }[]) =>
      this.neutron.request<{ port: NeutronPort }>('PUT', path, { body: { port: { fixed_ips: fixed } }, expect: [200, 400, 409] });
    let port: NeutronPort | undefined;
    if ('remove' in change) {
      const r = await put(current.filter((f) => f.ip_address !== change.remove));
      if (r.status === 200) port = r.body.port;
    } else {
      const { body: subs } = await this.neutron.request<{ subnets: { id: string }[] }>(
        'GET',
        `/v2.0/subnets?network_id=${encodeURIComponent(change.add)}&fields=id`,
      );
      for (const s of subs.subnets) {
        const r = await put([...current, { subnet_id: s.id }]);
        if (r.status === 200) {
          port = r.body.port;
          break;
        }
      }
    }
    if (!port) throw badRequest("The network service refused to change the port's fixed IPs.", 'fixed_ip_change_failed');
    return port.fixed_ips.map((f) => ({ ipAddress: f.ip_address, subnetId: f.subnet_id }));
  }

  /** The cache with each port's floating IPs as the network service has them now. */
  async withFloatingIps(info: NetworkInfo[]): Promise<NetworkInfo[]> {
    if (info.length === 0) return info;
    const q = info.map((n) => `port_id=${encodeURIComponent(n.portId)}`).join('&');
    const { body } = await this.neutron.request<{
      floatingips: { port_id: string; fixed_ip_address: string; floating_ip_address: string }[];
    }>('GET', `/v2.0/floatingips?${q}`);
    return info.map((n) => ({
      ...n,
      floating: body.floatingips
        .filter((f) => f.port_id === n.portId)
        .map((f) => ({ fixed: f.fixed_ip_address, address: f.floating_ip_address })),
    }));
  }

  /** Deletes the ports Nova made, unbinds the user's own; missing ports are fine. */
  async deallocate(info: NetworkInfo[]): Promise<void> {
    for (const p of info) {
      const path = `/v2.0/ports/${encodeURIComponent(p.portId)}`;
      if (p.createdByNova) await this.neutron.request('DELETE', path, { expect: [204, 404] });
      else
        await this.neutron.request('PUT', path, {
          body: { port: { device_id: '', device_owner: '', 'binding:host_id': '' } },
          expect: [200, 404],
        });
    }
  }
}

export function networkInfoOf(text: string | null): NetworkInfo[] {
  if (!text) return [];
  try {
    return JSON.parse(text) as NetworkInfo[];
  } catch {
    return [];
  }
}
