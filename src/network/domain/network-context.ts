import { parsePhysicalNetworks, type NetworkConfig } from '../../lib/config/config.js';
import type { ResourceStore } from '../store/resource-store.js';

/** Network configuration, parsed once. */
export interface NetworkSettings {
  /** Physical network name → bridge or interface on each host. */
  physicalNetworks: Map<string, string>;
  vniRange: [number, number];
  vlanRanges: Map<string, [number, number]>;
  globalMtu: number;
  /** First three bytes of every port MAC ("fa:16:3e"). */
  macPrefix: string;
  quotas: Record<string, number>;
}

/** What every network domain service shares. */
export interface NetworkContext {
  store: ResourceStore;
  settings: NetworkSettings;
  /** Tells agents their desired state may have changed (they pull it again). */
  changed(): void;
  /** Tells compute a server's ports changed (a floating IP came or went), as Neutron's network-changed event to Nova. */
  serverPortsChanged(serverId: string): void;
}

export function parseNetworkSettings(c: NetworkConfig): NetworkSettings {
  const physicalNetworks = parsePhysicalNetworks(c.physicalNetworks);
  const range = (text: string, what: string): [number, number] => {
    const [a, b] = text.split(':').map(Number);
    if (!Number.isInteger(a) || !Number.isInteger(b) || a! > b!) throw new Error(`${what}: '${text}' is not first:last`);
    return [a!, b!];
  };
  const vlanRanges = new Map<string, [number, number]>();
  for (const item of c.vlanRanges
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = item.indexOf(':');
    vlanRanges.set(item.slice(0, i), range(item.slice(i + 1), 'network.vlan_ranges'));
  }
  if (!/^[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}(:[0-9a-f]{2}){3}$/i.test(c.baseMac)) throw new Error('network.base_mac is not a MAC address');
  return {
    physicalNetworks,
    vniRange: range(c.vniRanges, 'network.vni_ranges'),
    vlanRanges,
    globalMtu: c.globalMtu,
    macPrefix: c.baseMac.toLowerCase().slice(0, 8),
    quotas: {
      network: c.quotaNetwork,
      subnet: c.quotaSubnet,
      port: c.quotaPort,
      router: c.quotaRouter,
      floatingip: c.quotaFloatingip,
      security_group: c.quotaSecurityGroup,
      security_group_rule: c.quotaSecurityGroupRule,
      subnetpool: c.quotaSubnetpool,
      rbac_policy: 10,
    },
  };
}
