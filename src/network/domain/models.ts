/**
 * Attributes of each network resource as stored (Neutron's names); the
 * standard attributes (id, project, times, revision) live beside them.
 */
export interface NetworkBody {
  name: string;
  description: string;
  admin_state_up: boolean;
  shared: boolean;
  'router:external': boolean;
  mtu: number;
  port_security_enabled: boolean;
  'provider:network_type': 'flat' | 'vlan' | 'vxlan' | 'local';
  'provider:physical_network': string | null;
  'provider:segmentation_id': number | null;
  availability_zone_hints: string[];
  is_default: boolean;
  dns_domain: string;
  tags: string[];
}

export interface AllocationPool {
  start: string;
  end: string;
}

export interface HostRoute {
  destination: string;
  nexthop: string;
}

export interface SubnetBody {
  name: string;
  description: string;
  network_id: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  allocation_pools: AllocationPool[];
  dns_nameservers: string[];
  host_routes: HostRoute[];
  enable_dhcp: boolean;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  subnetpool_id: string | null;
  service_types: string[];
  segment_id: string | null;
  dns_publish_fixed_ip: boolean;
  tags: string[];
}

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

export interface PortBody {
  name: string;
  description: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: 'DOWN' | 'ACTIVE' | 'BUILD' | 'ERROR';
  device_id: string;
  device_owner: string;
  fixed_ips: FixedIp[];
  allowed_address_pairs: AddressPair[];
  extra_dhcp_opts: { opt_name: string; opt_value: string; ip_version: number }[];
  security_groups: string[];
  port_security_enabled: boolean;
  'binding:host_id': string;
  'binding:vif_type': string;
  'binding:vif_details': Record<string, unknown>;
  'binding:vnic_type': string;
  'binding:profile': Record<string, unknown>;
  dns_name: string;
  propagate_uplink_status: boolean;
  tags: string[];
}

export interface SecurityGroupBody {
  name: string;
  description: string;
  stateful: boolean;
  tags: string[];
}

export interface SecurityGroupRuleBody {
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  description: string;
}

export interface ExternalGatewayInfo {
  network_id: string;
  enable_snat: boolean;
  external_fixed_ips: FixedIp[];
}

export interface RouterBody {
  name: string;
  description: string;
  admin_state_up: boolean;
  status: 'ACTIVE';
  external_gateway_info: ExternalGatewayInfo | null;
  routes: HostRoute[];
  distributed: boolean;
  ha: boolean;
  availability_zone_hints: string[];
  tags: string[];
}

export interface FloatingIpBody {
  floating_network_id: string;
  floating_ip_address: string;
  subnet_id: string | null;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: 'DOWN' | 'ACTIVE';
  description: string;
  dns_domain: string;
  dns_name: string;
  tags: string[];
}

/** Device owners Neutron uses for its own ports. */
export const DEVICE_OWNER = {
  dhcp: 'network:dhcp',
  routerInterface: 'network:router_interface',
  routerGateway: 'network:router_gateway',
  floatingIp: 'network:floatingip',
} as const;
