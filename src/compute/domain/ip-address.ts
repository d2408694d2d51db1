/**
 * Nova stores access IPv6 addresses in their canonical RFC 5952 text (its
 * database type runs them through netaddr), so `0:0:0:0:0:babe:220.12.22.2`
 * reads back as `::babe:dc0c:1602`. The WHATWG URL serializer produces the
 * same compressed lower-case form; IPv4-mapped addresses keep netaddr's
 * dotted tail. Input is schema-checked already; anything else is returned as is.
 */
export function canonicalIPv6(address: string): string {
  let host: string;
  try {
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return host;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
