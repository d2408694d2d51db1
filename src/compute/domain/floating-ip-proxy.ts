import type { ServiceClient } from '../../lib/clients/service-client.js';
import { callAsUser } from './network-proxy-call.js';
import { KumoError, badRequest, notFound } from '../../lib/errors.js';

interface NeutronFip {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  floating_network_id: string;
  port_id: string | null;
}

interface NeutronNetwork {
  id: string;
  name: string;
  'router:external': boolean;
}

type View = Record<string, unknown>;
const enc = encodeURIComponent;

/**
 * Nova's floating IP and tenant network proxies (os-floating-ips,
 * os-floating-ip-pools, add/removeFloatingIp, os-tenant-networks) over the
 * network service, with the user's token, in Nova's shapes.
 */
export class FloatingIpProxy {
  constructor(private readonly neutron: ServiceClient) {}

  #call<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
    return callAsUser<T>(this.neutron, token, method, path, body, 'floating_ip_not_found');
  }

  async pools(token: string): Promise<View[]> {
    const { networks } = await this.#call<{ networks: NeutronNetwork[] }>(token, 'GET', '/v2.0/networks?router:external=true');
    return networks.map((n) => ({ name: n.name }));
  }

  async list(token: string, projectId: string | null): Promise<View[]> {
    const q = projectId ? `?project_id=${enc(projectId)}` : '';
    const { floatingips } = await this.#call<{ floatingips: NeutronFip[] }>(token, 'GET', `/v2.0/floatingips${q}`);
    return this.#views(token, floatingips);
  }

  async get(token: string, id: string): Promise<View> {
    const f = await this.#fip(token, id);
    return (await this.#views(token, [f]))[0]!;
  }

  /** A floating IP from `pool` (an external network's name or id; `public` when not given, as Nova's default_floating_pool). */
  async create(token: string, pool: string | undefined): Promise<View> {
    const want = pool ?? 'public';
    const { networks } = await this.#call<{ networks: NeutronNetwork[] }>(token, 'GET', '/v2.0/networks?router:external=true');
    const net = networks.find((n) => n.id === want) ?? networks.find((n) => n.name === want);
    if (!net) throw notFound(`Floating IP pool not found: ${want}`, 'floating_ip_pool_not_found');
    const { floatingip } = await this.#call<{ floatingip: NeutronFip }>(token, 'POST', '/v2.0/floatingips', {
      floatingip: { floating_network_id: net.id },
    });
    return (await this.#views(token, [floatingip]))[0]!;
  }

  async delete(token: string, id: string): Promise<void> {
    await this.#fip(token, id);
    await this.#call(token, 'DELETE', `/v2.0/floatingips/${enc(id)}`);
  }

  /** addFloatingIp: the address on the server's port (the one with `fixedAddress`, else the first). */
  async associate(token: string, serverId: string, address: string, fixedAddress?: string): Promise<void> {
    const fip = await this.#byAddress(token, address);
    const { ports } = await this.#call<{ ports: { id: string; fixed_ips: { ip_address: string }[] }[] }>(
      token,
      'GET',
      `/v2.0/ports?device_id=${enc(serverId)}`,
    );
    if (ports.length === 0) throw badRequest(`Instance ${serverId} has no network port to associate a floating IP with.`);
    const port = fixedAddress ? ports.find((p) => p.fixed_ips.some((f) => f.ip_address === fixedAddress)) : ports[0];
    if (!port) throw badRequest(`Specified fixed address '${fixedAddress}' not assigned to instance`);
    await this.#call(token, 'PUT', `/v2.0/floatingips/${enc(fip.id)}`, {
      floatingip: { port_id: port.id, ...(fixedAddress ? { fixed_ip_address: fixedAddress } : {}) },
    });
  }

  /** removeFloatingIp: only from the server it is on (Nova: 409 otherwise). */
  async disassociate(token: string, serverId: string, address: string): Promise<void> {
    const fip = await this.#byAddress(token, address);
    const ports = fip.port_id
      ? (await this.#call<{ ports: { id: string }[] }>(token, 'GET', `/v2.0/ports?device_id=${enc(serverId)}&fields=id`)).ports
      : [];
    if (!fip.port_id || !ports.some((p) => p.id === fip.port_id))
      throw new KumoError('floating_ip_not_associated', 409, `Floating IP ${address} is not associated with instance ${serverId}.`);
    await this.#call(token, 'PUT', `/v2.0/floatingips/${enc(fip.id)}`, { floatingip: { port_id: null } });
  }

  /** os-tenant-networks: the networks the project can use, as {id, label, cidr}. */
  async tenantNetworks(token: string, projectId: string | null): Promise<View[]> {
    const { networks } = await this.#call<{ networks: (NeutronNetwork & { project_id: string; shared: boolean })[] }>(
      token,
      'GET',
      '/v2.0/networks',
    );
    const usable = networks.filter((n) => !n['router:external'] && (n.project_id === projectId || n.shared));
    const { subnets } = await this.#call<{ subnets: { network_id: string; cidr: string }[] }>(token, 'GET', '/v2.0/subnets');
    return usable.map((n) => ({ id: n.id, label: n.name, cidr: subnets.find((s) => s.network_id === n.id)?.cidr ?? null }));
  }

  async tenantNetwork(token: string, projectId: string | null, id: string): Promise<View> {
    const found = (await this.tenantNetworks(token, projectId)).find((n) => n.id === id);
    if (!found) throw notFound(`Network ${id} could not be found.`, 'network_not_found');
    return found;
  }

  async #fip(token: string, id: string): Promise<NeutronFip> {
    const r = await this.neutron.request<{ floatingip: NeutronFip }>('GET', `/v2.0/floatingips/${enc(id)}`, {
      headers: { 'x-auth-token': token },
      expect: [200, 400, 404],
    });
    if (r.status !== 200) throw notFound(`Floating IP not found for ID ${id}`, 'floating_ip_not_found');
    return r.body.floatingip;
  }

  async #byAddress(token: string, address: string): Promise<NeutronFip> {
    const { floatingips } = await this.#call<{ floatingips: NeutronFip[] }>(
      token,
      'GET',
      `/v2.0/floatingips?floating_ip_address=${enc(address)}`,
    );
    const f = floatingips[0];
    if (!f) throw notFound(`Floating IP not found for address ${address}.`, 'floating_ip_not_found');
    return f;
  }

  async #views(token: string, fips: NeutronFip[]): Promise<View[]> {
    if (fips.length === 0) return [];
    const { networks } = await this.#call<{ networks: NeutronNetwork[] }>(token, 'GET', '/v2.0/networks?router:external=true');
    const portIds = fips.flatMap((f) => (f.port_id ? [f.port_id] : []));
    const devices = new Map<string, string>();
    if (portIds.length > 0) {
      const q = portIds.map((id) => `id=${enc(id)}`).join('&');
      const { ports } = await this.#call<{ ports: { id: string; device_id: string }[] }>(token, 'GET', `/v2.0/ports?${q}`);
      for (const p of ports) devices.set(p.id, p.device_id);
    }
    return fips.map((f) => ({
      id: f.id,
      ip: f.floating_ip_address,
      fixed_ip: f.fixed_ip_address,
      instance_id: f.port_id ? (devices.get(f.port_id) ?? null) : null,
      pool: networks.find((n) => n.id === f.floating_network_id)?.name ?? null,
    }));
  }
}
