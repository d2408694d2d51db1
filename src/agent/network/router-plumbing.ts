/**
 * A Neutron router on one host: a namespace with forwarding on, a gateway
 * leg on the external network's bridge, one leg per internal subnet on that
 * network's bridge (veth pairs: the host end is enslaved to the bridge, the
 * router end lives in the namespace), SNAT of the internal subnets to the
 * gateway address and 1:1 NAT for floating IPs. `apply` converges on the
 * spec (legs, addresses, routes and NAT rules that are no longer wanted go);
 * `remove` takes all of it away.
 */
import { runCommand } from '../host/host-process.js';
import { IpLinks, deleteNetns, ensureNetns } from '../host/ip-links.js';
import { Iptables, type FirewallState } from '../host/iptables.js';

export interface RouterLeg {
  /** Link name inside the router namespace (qg-… or qr-…). */
  iface: string;
  /** Name of the veth end enslaved to `bridge` in the host namespace. */
  hostIface: string;
  /** The network's bridge, in the host namespace. */
  bridge: string;
  /** The router's address on the subnet, with its prefix (e.g. 10.0.0.1/24). */
  cidr: string;
  mtu?: number;
}

export interface RouterSpec {
  netns: string;
  /** External gateway, with the upstream router's address as default route. */
  gateway?: RouterLeg & { nexthop: string; snat: boolean };
  interfaces: RouterLeg[];
  floatingIps: { floating: string; fixed: string }[];
}

const address = (cidr: string): string => cidr.split('/')[0]!;

export class RouterPlumbing {
  readonly #host: IpLinks;

  /** `hostNetns`: where the bridges are (undefined: the agent's own namespace). */
  constructor(opts: { hostNetns?: string } = {}) {
    this.#host = new IpLinks({ netns: opts.hostNetns });
  }

  async apply(spec: RouterSpec, previous?: RouterSpec): Promise<void> {
    await ensureNetns(spec.netns);
    const inside = new IpLinks({ netns: spec.netns });
    await runCommand(['ip', 'netns', 'exec', spec.netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], { timeoutMs: 30_000 });
    const legs = [...(spec.gateway ? [spec.gateway] : []), ...spec.interfaces];
    for (const leg of legs) {
      await this.#host.ensureVeth(leg.hostIface, leg.iface, { peerNetns: spec.netns, master: leg.bridge, mtu: leg.mtu });
      await inside.ensureAddress(leg.iface, leg.cidr);
    }
    // Legs the previous spec had and this one does not: deleting the host end takes its peer along.
    for (const old of [...(previous?.gateway ? [previous.gateway] : []), ...(previous?.interfaces ?? [])]) {
      if (!legs.some((l) => l.hostIface === old.hostIface)) await this.#host.delete(old.hostIface);
    }
    if (spec.gateway) {
      const g = spec.gateway;
      // Floating IPs answer on the gateway leg (/32: the subnet route comes from the leg's own address).
      const wanted = new Set([g.cidr, ...spec.floatingIps.map((f) => `${f.floating}/32`)]);
      for (const a of await inside.addresses(g.iface)) {
        if (!wanted.has(a)) await runCommand(['ip', '-n', spec.netns, 'address', 'del', a, 'dev', g.iface], { timeoutMs: 30_000 });
      }
      for (const a of wanted) await inside.ensureAddress(g.iface, a);
      await runCommand(['ip', '-n', spec.netns, 'route', 'replace', 'default', 'via', g.nexthop, 'dev', g.iface], { timeoutMs: 30_000 });
    }
    await new Iptables({ netns: spec.netns, prefix: NAT_PREFIX }).apply(natState(spec));
  }

  /** Deletes the namespace (its legs and rules with it) and the host ends of its legs. */
  async remove(spec: RouterSpec): Promise<void> {
    for (const leg of [...(spec.gateway ? [spec.gateway] : []), ...spec.interfaces]) await this.#host.delete(leg.hostIface);
    await deleteNetns(spec.netns);
  }
}

const NAT_PREFIX = 'kumo-nat-';

/** The router's NAT: floating IPs first (DNAT in, SNAT out), then SNAT of everything else leaving by the gateway. */
export function natState(spec: RouterSpec): FirewallState {
  const g = spec.gateway;
  if (!g) return { nat: { chains: {}, jumps: [] } };
  const pre = spec.floatingIps.map((f) => `-d ${f.floating}/32 -j DNAT --to-destination ${f.fixed}`);
  const post = spec.floatingIps.map((f) => `-s ${f.fixed}/32 -o ${g.iface} -j SNAT --to-source ${f.floating}`);
  if (g.snat) post.push(`-o ${g.iface} -j SNAT --to-source ${address(g.cidr)}`);
  return {
    nat: {
      chains: { 'kumo-nat-pre': pre, 'kumo-nat-post': post },
      jumps: [
        { chain: 'PREROUTING', rule: '-j kumo-nat-pre' },
        // Locally generated packets to a floating IP (from the router itself) are DNATed too.
        { chain: 'OUTPUT', rule: '-j kumo-nat-pre' },
        { chain: 'POSTROUTING', rule: '-j kumo-nat-post' },
      ],
    },
  };
}
