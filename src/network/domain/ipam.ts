import type { ResourceStore, Stored } from '../store/resource-store.js';
import { conflictOf, invalidInput } from './errors.js';
import { cidrContains, eui64Address, formatIp, lastAddress, parseCidr, parseIp } from './ip-math.js';
import type { SubnetBody } from './models.js';

/** The claim that makes an address in a subnet unique across processes. */
export const ipClaim = (subnetId: string, ip: string): string => `ip:${subnetId}:${ip}`;

/** IPv6 subnets whose addresses the guest computes itself from the prefix and its MAC. */
export const isAutoAddressed = (s: SubnetBody): boolean =>
  s.ip_version === 6 && (s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless');

const alreadyAllocated = (ip: string, subnetId: string): Error =>
  conflictOf('ip_address_already_allocated', `IP address ${ip} already allocated in subnet ${subnetId}`);

/**
 * Allocates an address on a subnet for `owner` (a port): the one asked for,
 * the SLAAC address of `mac`, or the first free one of the allocation pools.
 */
export async function allocateIp(
  store: ResourceStore,
  subnet: Stored<SubnetBody>,
  owner: string,
  opts: { ip?: string; mac: string; allowGateway?: boolean },
): Promise<string> {
  const s = subnet.body;
  const cidr = parseCidr(s.cidr)!;
  if (opts.ip !== undefined) {
    const p = parseIp(opts.ip);
    if (!p || !cidrContains(cidr, p.version, p.value)) {
      throw invalidInput(`IP address ${opts.ip} is not a valid IP for the specified subnet.`);
    }
    if (s.ip_version === 4 && cidr.prefixLen < 31 && (p.value === cidr.network || p.value === lastAddress(cidr))) {
      throw invalidInput(`IP address ${opts.ip} is not a valid IP for the specified subnet.`);
    }
    const ip = formatIp(p.version, p.value);
    if (ip === s.gateway_ip && !opts.allowGateway) {
      throw alreadyAllocated(ip, subnet.id);
    }
    if (!(await store.tryClaim(ipClaim(subnet.id, ip), owner))) {
      throw alreadyAllocated(ip, subnet.id);
    }
    return ip;
  }
  if (isAutoAddressed(s)) {
    const ip = formatIp(6, eui64Address(cidr, opts.mac));
    if (!(await store.tryClaim(ipClaim(subnet.id, ip), owner))) {
      throw alreadyAllocated(ip, subnet.id);
    }
    return ip;
  }
  const prefix = ipClaim(subnet.id, '');
  const used = new Set((await store.claims(prefix)).map((c) => c.claim.slice(prefix.length)));
  for (const pool of s.allocation_pools) {
    const start = parseIp(pool.start)!.value;
    const end = parseIp(pool.end)!.value;
    // Bounded: at most used.size addresses are skipped before a free one (or a lost race) is found.
    let tries = 0;
    for (let v = start; v <= end && tries <= used.size + 16; v++) {
      const ip = formatIp(s.ip_version, v);
      if (used.has(ip)) continue;
      tries++;
      if (await store.tryClaim(ipClaim(subnet.id, ip), owner)) return ip;
    }
  }
  throw conflictOf('ip_address_generation_failure', `No more IP addresses available on network ${s.network_id}.`);
}
