import { networkInfoOf } from '../domain/server-network.js';

export interface AddressView {
  version: 4 | 6;
  addr: string;
  'OS-EXT-IPS:type'?: 'fixed' | 'floating';
  'OS-EXT-IPS-MAC:mac_addr'?: string;
}

/**
 * A server's addresses by network name, as Nova renders its info cache: the
 * server view adds the OS-EXT-IPS attributes, /ips shows only version and addr.
 */
export function addressesOf(networkInfo: string | null, extended: boolean): Record<string, AddressView[]> {
  const out: Record<string, AddressView[]> = {};
  for (const nic of networkInfoOf(networkInfo)) {
    const list = (out[nic.networkName] ??= []);
    for (const f of nic.fixedIps) {
      const v: AddressView = { version: f.ipAddress.includes(':') ? 6 : 4, addr: f.ipAddress };
      if (extended) {
        v['OS-EXT-IPS:type'] = 'fixed';
        v['OS-EXT-IPS-MAC:mac_addr'] = nic.macAddress;
      }
      list.push(v);
      for (const fip of nic.floating ?? []) {
        if (fip.fixed !== f.ipAddress) continue;
        const fv: AddressView = { version: 4, addr: fip.address };
        if (extended) {
          fv['OS-EXT-IPS:type'] = 'floating';
          fv['OS-EXT-IPS-MAC:mac_addr'] = nic.macAddress;
        }
        list.push(fv);
      }
    }
  }
  return out;
}
