import { isIPv4, isIPv6 } from 'node:net';

/**
 * IPv4 and IPv6 addresses as bigints, for IPAM: CIDRs, pools, ranges.
 * Text out is canonical (dotted quad; RFC 5952 compressed lower-case).
 */
export type IpVersion = 4 | 6;

export interface Cidr {
  version: IpVersion;
  /** First address (the network address). */
  network: bigint;
  prefixLen: number;
}

const bits = (v: IpVersion): number => (v === 4 ? 32 : 128);

export function ipVersionOf(text: string): IpVersion | null {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 6;
  return null;
}

export function parseIp(text: string): { version: IpVersion; value: bigint } | null {
  if (isIPv4(text)) {
    const p = text.split('.').map(Number);
    return { version: 4, value: BigInt(((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) };
  }
  if (!isIPv6(text)) return null;
  let t = text.toLowerCase().split('%')[0]!;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const n = parseIp(v4[1]!)!.value;
    t = t.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = t.includes('::') ? t.split('::') : [t, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? 8 - h.length - tl.length : 0;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...tl];
  let value = 0n;
  for (const g of groups) value = (value << 16n) + BigInt(parseInt(g, 16));
  return { version: 6, value };
}

export function formatIp(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: the longest run (of two or more) of zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text of an address, or null when it is not one. */
export function canonicalIp(text: string): string | null {
  const p = parseIp(text);
  return p ? formatIp(p.version, p.value) : null;
}

/** Parses `a.b.c.d/n` (host bits must be zero when `strict`). */
export function parseCidr(text: string, strict = false): Cidr | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return null;
  const ip = parseIp(m[1]!);
  const prefixLen = Number(m[2]);
  if (!ip || prefixLen > bits(ip.version)) return null;
  const hostMask = (1n << BigInt(bits(ip.version) - prefixLen)) - 1n;
  if (strict && (ip.value & hostMask) !== 0n) return null;
  return { version: ip.version, network: ip.value & ~hostMask, prefixLen };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.version, c.network)}/${c.prefixLen}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(bits(c.version) - c.prefixLen);
}

export function lastAddress(c: Cidr): bigint {
  return c.network + cidrSize(c) - 1n;
}

export function cidrContains(c: Cidr, version: IpVersion, value: bigint): boolean {
  return c.version === version && value >= c.network && value <= lastAddress(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** Dotted netmask (IPv4) of a prefix length. */
export function netmaskOf(prefixLen: number): string {
  return formatIp(4, prefixLen === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefixLen)) - 1n));
}

/**
 * An EUI-64 address from a /64 prefix and a MAC (SLAAC), as the guest
 * computes it and as Neutron records it.
 */
export function eui64Address(prefix: Cidr, mac: string): bigint {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const iid = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  let v = 0n;
  for (const x of iid) v = (v << 8n) + BigInt(x);
  return prefix.network + v;
}
