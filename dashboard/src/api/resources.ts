/** Typed reads of the resources several pages show. */
import { call } from './client';

export interface Server {
  id: string;
  name: string;
  status: string;
  'OS-EXT-STS:task_state'?: string | null;
  'OS-EXT-STS:power_state'?: number;
  addresses: Record<string, { addr: string; 'OS-EXT-IPS:type'?: string; version: number }[]>;
  flavor: { original_name?: string; vcpus?: number; ram?: number };
  image: { id: string } | '';
  key_name: string | null;
  created: string;
  tenant_id: string;
  fault?: { message: string };
  security_groups?: { name: string }[];
}
export interface Image {
  id: string;
  name: string;
  status: string;
  visibility: string;
  size: number | null;
  disk_format: string | null;
  owner: string;
}
export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  'os-flavor-access:is_public'?: boolean;
}
export interface Network {
  id: string;
  name: string;
  status: string;
  shared: boolean;
  'router:external': boolean;
  subnets: string[];
  project_id: string;
  'provider:network_type'?: string;
}
export interface Subnet {
  id: string;
  name: string;
  cidr: string;
  network_id: string;
  gateway_ip: string | null;
  ip_version: number;
}
export interface Port {
  id: string;
  network_id: string;
  device_id: string;
  device_owner: string;
  fixed_ips: { ip_address: string; subnet_id: string }[];
  status: string;
  mac_address: string;
}
export interface Router {
  id: string;
  name: string;
  status: string;
  external_gateway_info: { network_id: string } | null;
}
export interface FloatingIp {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  floating_network_id: string;
  status: string;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  security_group_rules: {
    id: string;
    direction: string;
    ethertype: string;
    protocol: string | null;
    port_range_min: number | null;
    port_range_max: number | null;
    remote_ip_prefix: string | null;
    remote_group_id: string | null;
  }[];
}
export interface KeyPair {
  name: string;
  fingerprint: string;
  type?: string;
}

export const listServers = (all = false) =>
  call<{ servers: Server[] }>('compute', `/servers/detail${all ? '?all_tenants=1' : ''}`).then((r) => r.servers);
export const listImages = () => call<{ images: Image[] }>('image', '/v2/images?limit=1000').then((r) => r.images);
export const listFlavors = () => call<{ flavors: Flavor[] }>('compute', '/flavors/detail').then((r) => r.flavors);
export const listNetworks = () => call<{ networks: Network[] }>('network', '/v2.0/networks').then((r) => r.networks);
export const listSubnets = () => call<{ subnets: Subnet[] }>('network', '/v2.0/subnets').then((r) => r.subnets);
export const listPorts = (query = '') => call<{ ports: Port[] }>('network', `/v2.0/ports${query}`).then((r) => r.ports);
export const listRouters = () => call<{ routers: Router[] }>('network', '/v2.0/routers').then((r) => r.routers);
export const listFloatingIps = () => call<{ floatingips: FloatingIp[] }>('network', '/v2.0/floatingips').then((r) => r.floatingips);
export const listSecurityGroups = (projectId: string) =>
  call<{ security_groups: SecurityGroup[] }>('network', `/v2.0/security-groups?project_id=${projectId}`).then((r) => r.security_groups);
export const listKeyPairs = () =>
  call<{ keypairs: { keypair: KeyPair }[] }>('compute', '/os-keypairs').then((r) => r.keypairs.map((k) => k.keypair));

export const addressesOf = (s: Server): string =>
  Object.entries(s.addresses)
    .map(([net, addrs]) => `${net}: ${addrs.map((a) => a.addr).join(', ')}`)
    .join('; ');

/** A status still changing (the list polls faster while one is). */
export const transitional = (s: Server): boolean =>
  !['ACTIVE', 'SHUTOFF', 'ERROR', 'PAUSED', 'SUSPENDED', 'SHELVED_OFFLOADED'].includes(s.status) || Boolean(s['OS-EXT-STS:task_state']);
