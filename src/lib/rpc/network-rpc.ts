/**
 * The bus protocol between the network service and the network side of each
 * agent. Agents pull their whole desired state (`host_state`) and apply it
 * idempotently; the service only tells them when to pull again
 * (`state_changed` fanout). Both sides import only this file.
 *
 * Topics:
 * - `network`: served by every network service process (competing).
 * - `network_agent`: every agent listens for the fanout.
 */
export const NETWORK_RPC_VERSION = '1.0';
export const NETWORK_TOPIC = 'network';
export const NETWORK_AGENT_TOPIC = 'network_agent';

/** network.agent_report (call): an agent says it is alive and what it can do. */
export interface AgentReport {
  host: string;
  /** Address VXLAN tunnels of other hosts reach this one on. */
  tunnelIp: string;
  /** Runs DHCP servers and the metadata proxy for networks. */
  dhcp: boolean;
  /** Runs routers (namespaces with NAT). */
  l3: boolean;
}

export interface NetworkSegment {
  id: string;
  type: 'flat' | 'vlan' | 'vxlan' | 'local';
  physicalNetwork: string | null;
  segmentationId: number | null;
  mtu: number;
  /** Linux bridge of the network on every host (`brq` + 11 characters of its id). */
  bridge: string;
  /** Tunnel endpoints of the other hosts that have something on this VXLAN network. */
  peers: string[];
}

export interface SecurityRule {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: 'tcp' | 'udp' | 'icmp' | null;
  portMin: number | null;
  portMax: number | null;
  /** A prefix, or the addresses of a remote group's ports; both absent: any. */
  remoteIpPrefix: string | null;
  remoteIps?: string[];
}

export interface BoundPort {
  id: string;
  networkId: string;
  tap: string;
  mac: string;
  ips: string[];
  allowedAddressPairs: { ip: string; mac?: string }[];
  portSecurity: boolean;
  adminUp: boolean;
  rules: SecurityRule[];
}

export interface DhcpServer {
  networkId: string;
  bridge: string;
  /** The DHCP port: its MAC and addresses (CIDR form) in the namespace. */
  mac: string;
  addresses: string[];
  subnets: {
    id: string;
    cidr: string;
    gateway: string | null;
    dnsServers: string[];
    hostRoutes: { destination: string; nexthop: string }[];
    mtu: number;
  }[];
  /** `instanceId`: the server a compute port belongs to (the metadata service answers for it); `floatingIp`: its public-ipv4. */
  hosts: { mac: string; ip: string; hostname: string; instanceId?: string; floatingIp?: string }[];
}

export interface RouterLegState {
  portId: string;
  bridge: string;
  mac: string;
  /** Address with prefix length ("203.0.113.5/24"). */
  cidr: string;
  mtu: number;
}

export interface RouterState {
  id: string;
  gateway: (RouterLegState & { nexthop: string | null; snat: boolean }) | null;
  interfaces: RouterLegState[];
  floatingIps: { floating: string; fixed: string }[];
  routes: { destination: string; nexthop: string }[];
}

/** network.host_state (call) → HostState: everything one host must have. */
export interface HostState {
  networks: NetworkSegment[];
  ports: BoundPort[];
  dhcp: DhcpServer[];
  routers: RouterState[];
}

/** network.ports_status (cast): ports the agent plugged (up) or found gone (down). */
export interface PortsStatus {
  host: string;
  up: string[];
  down: string[];
}

export const NETWORK_METHODS = ['agent_report', 'host_state', 'ports_status'] as const;
