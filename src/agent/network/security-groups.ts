/**
 * Security groups on a host, as Neutron's iptables firewall does them for
 * Linux bridges: every packet bridged to or from a port's tap goes through
 * that port's chains (`physdev` matches, so br_netfilter must hand bridged
 * traffic to iptables), which are stateful (replies of allowed traffic pass,
 * INVALID is dropped) and deny by default. Egress first checks the source
 * MAC and IP against the port's own (and its allowed address pairs): a guest
 * cannot spoof. A port with port security off gets no chains at all.
 * `securityGroupState` is pure: the desired iptables state for the ports.
 */
import { runCommand } from '../host/host-process.js';
import { Iptables, type FirewallState } from '../host/iptables.js';

export interface SgRule {
  direction: 'ingress' | 'egress';
  /** null: any protocol. */
  protocol: 'tcp' | 'udp' | 'icmp' | null;
  portMin?: number | null;
  portMax?: number | null;
  /** Source (ingress) or destination (egress) prefix; null: anywhere. */
  remoteIpPrefix?: string | null;
  /** Addresses of the remote group's members, when the rule names a remote group (then the prefix is unused). */
  remoteIps?: string[];
}

export interface PortFirewall {
  /** The tap (or veth) of the port on the bridge. */
  tap: string;
  mac: string;
  /** IPv4 fixed addresses. */
  ips: string[];
  allowedAddressPairs?: { ip: string; mac?: string }[];
  portSecurity: boolean;
  /** Rules of all the port's security groups (IPv4). */
  rules: SgRule[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const CIDR4 = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/;
/** Every chain of the security groups starts so (other parts of the agent use other prefixes in the same namespace). */
const SG_PREFIX = 'kumo-sg-';
/** Port chains are kumo-sg-i-<tap>, -o- and -s-: taps are at most 15 characters, so chains stay within 28. */
const chain = (kind: 'i' | 'o' | 's', tap: string): string => `${SG_PREFIX}${kind}-${tap}`;

function check(p: PortFirewall): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(p.tap)) throw new Error(`invalid tap name ${JSON.stringify(p.tap)}`);
  if (!MAC.test(p.mac)) throw new Error(`invalid MAC ${JSON.stringify(p.mac)}`);
  for (const ip of [...p.ips, ...(p.allowedAddressPairs ?? []).map((a) => a.ip)]) {
    if (!CIDR4.test(ip)) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  }
}

/** iptables match arguments of one rule, one per remote (a rule with a remote group expands to its members). */
function ruleMatches(r: SgRule): string[] {
  const proto: string[] = [];
  if (r.protocol) {
    proto.push(`-p ${r.protocol}`);
    if (r.protocol !== 'icmp' && r.portMin != null) {
      const max = r.portMax ?? r.portMin;
      proto.push(max === r.portMin ? `--dport ${r.portMin}` : `-m multiport --dports ${r.portMin}:${max}`);
    } else if (r.protocol === 'icmp' && r.portMin != null) {
      // Neutron: port_range_min is the ICMP type, port_range_max its code.
      proto.push(`--icmp-type ${r.portMin}${r.portMax != null ? `/${r.portMax}` : ''}`);
    }
  }
  const dir = r.direction === 'ingress' ? '-s' : '-d';
  const remotes = r.remoteIps ? r.remoteIps.map((ip) => `${ip}/32`) : r.remoteIpPrefix ? [r.remoteIpPrefix] : [null];
  return remotes.map((remote) => {
    if (remote !== null && !CIDR4.test(remote)) throw new Error(`invalid remote prefix ${JSON.stringify(remote)}`);
    return [...(remote ? [`${dir} ${remote}`] : []), ...proto].join(' ');
  });
}

/** The filter-table state that enforces `ports` on this host. */
export function securityGroupState(ports: PortFirewall[]): FirewallState {
  const chains: Record<string, string[]> = {};
  const sg: string[] = [];
  for (const p of ports.filter((x) => x.portSecurity)) {
    check(p);
    const i = chain('i', p.tap);
    const o = chain('o', p.tap);
    const s = chain('s', p.tap);
    sg.push(
      `-m physdev --physdev-out ${p.tap} --physdev-is-bridged -j ${i}`,
      `-m physdev --physdev-in ${p.tap} --physdev-is-bridged -j ${o}`,
    );
    const stateful = ['-m state --state INVALID -j DROP', '-m state --state RELATED,ESTABLISHED -j RETURN'];
    chains[i] = [
      ...stateful,
      // DHCP offers and acks reach the port before it has an address.
      '-p udp --sport 67 --dport 68 -j RETURN',
      ...p.rules.filter((r) => r.direction === 'ingress').flatMap((r) => ruleMatches(r).map((m) => `${m} -j RETURN`.trim())),
      '-j DROP',
    ];
    const pairs = [
      ...p.ips.map((ip) => ({ ip, mac: p.mac })),
      ...(p.allowedAddressPairs ?? []).map((a) => ({ ip: a.ip, mac: a.mac ?? p.mac })),
    ];
    for (const a of pairs) if (!MAC.test(a.mac)) throw new Error(`invalid MAC ${JSON.stringify(a.mac)}`);
    chains[s] = [...pairs.map((a) => `-s ${a.ip.includes('/') ? a.ip : `${a.ip}/32`} -m mac --mac-source ${a.mac} -j RETURN`), '-j DROP'];
    chains[o] = [
      // A DHCP request comes from 0.0.0.0, before any address: allowed from the port's own MAC only.
      `-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp --sport 68 --dport 67 -m mac --mac-source ${p.mac} -j RETURN`,
      `-j ${s}`,
      // No DHCP server inside a guest.
      '-p udp --sport 67 --dport 68 -j DROP',
      ...stateful,
      ...p.rules.filter((r) => r.direction === 'egress').flatMap((r) => ruleMatches(r).map((m) => `${m} -j RETURN`.trim())),
      '-j DROP',
    ];
  }
  if (sg.length === 0) return { filter: { chains: {}, jumps: [] } };
  // Every port chain only drops or returns; what they all let through is accepted here.
  chains['kumo-sg-chain'] = [...sg, '-j ACCEPT'];
  const jumps = ports
    .filter((x) => x.portSecurity)
    .flatMap((p) => [
      { chain: 'FORWARD', rule: `-m physdev --physdev-out ${p.tap} --physdev-is-bridged -j kumo-sg-chain` },
      { chain: 'FORWARD', rule: `-m physdev --physdev-in ${p.tap} --physdev-is-bridged -j kumo-sg-chain` },
      // Guest to host (e.g. a DHCP or metadata service in this namespace) goes through egress too.
      { chain: 'INPUT', rule: `-m physdev --physdev-in ${p.tap} -j ${chain('o', p.tap)}` },
    ]);
  return { filter: { chains, jumps } };
}

/** Applies the security groups of `ports` in `netns` (undefined: the agent's own namespace). */
export async function applySecurityGroups(ports: PortFirewall[], opts: { netns?: string } = {}): Promise<void> {
  const ns = opts.netns ? ['ip', 'netns', 'exec', opts.netns] : [];
  // Bridged IPv4 traffic must traverse iptables for the physdev matches to see it.
  await runCommand([...ns, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1'], { timeoutMs: 30_000 });
  await new Iptables({ netns: opts.netns, prefix: SG_PREFIX }).apply(securityGroupState(ports));
}
