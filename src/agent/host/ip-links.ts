/**
 * Linux links through iproute2 (`ip -json`), the agent's network plumbing:
 * bridges, taps, veth pairs, addresses and namespaces. Every operation is
 * idempotent (ensure*, delete of a missing link is a no-op) because the agent
 * converges on a desired state after restarts. `netns` confines everything to
 * one network namespace — tests run in a lab of namespaces they create.
 */
import { runCommand } from './host-process.js';

export interface LinkInfo {
  name: string;
  index: number;
  mtu: number;
  /** Administratively up (the UP flag). */
  up: boolean;
  mac: string;
  /** The bridge this link is enslaved to. */
  master?: string;
  /** bridge, veth, tun, vxlan...; undefined for plain devices. */
  kind?: string;
}

interface IpLinkJson {
  ifname: string;
  ifindex: number;
  mtu: number;
  flags: string[];
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}

/** Linux's IFNAMSIZ minus the terminator, and no characters `ip` would misread. */
const LINK_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function checkLinkName(name: string): string {
  if (!LINK_NAME.test(name)) throw new Error(`invalid link name ${JSON.stringify(name)} (1-15 of A-Z a-z 0-9 _ . -)`);
  return name;
}

function checkNetns(name: string): string {
  if (!NETNS_NAME.test(name)) throw new Error(`invalid network namespace name ${JSON.stringify(name)}`);
  return name;
}

/** A plain IPv4 or IPv6 address (no prefix), as `ip` and `bridge` take one. */
function checkIp(addr: string): string {
  if (!/^[0-9.]{7,15}$/.test(addr) && !/^[0-9a-fA-F:]{2,39}$/.test(addr)) throw new Error(`invalid IP address ${JSON.stringify(addr)}`);
  return addr;
}

const missing = (e: unknown): boolean => /Cannot find device|does not exist|No such device/i.test((e as Error).message);

export class IpLinks {
  readonly #netns: string | undefined;

  constructor(opts: { netns?: string } = {}) {
    this.#netns = opts.netns === undefined ? undefined : checkNetns(opts.netns);
  }

  async #ip(args: string[]): Promise<string> {
    const ns = this.#netns ? ['-n', this.#netns] : [];
    return (await runCommand(['ip', ...ns, ...args], { timeoutMs: 30_000 })).stdout;
  }

  async list(): Promise<LinkInfo[]> {
    const rows = JSON.parse((await this.#ip(['-json', '-details', 'link', 'show'])) || '[]') as IpLinkJson[];
    return rows.map((r) => ({
      name: r.ifname,
      index: r.ifindex,
      mtu: r.mtu,
      up: r.flags.includes('UP'),
      mac: r.address ?? '',
      ...(r.master ? { master: r.master } : {}),
      ...(r.linkinfo?.info_kind ? { kind: r.linkinfo.info_kind } : {}),
    }));
  }

  async get(name: string): Promise<LinkInfo | undefined> {
    return (await this.list()).find((l) => l.name === checkLinkName(name));
  }

  /** A bridge named `name`, up, with `mtu`. */
  async ensureBridge(name: string, opts: { mtu?: number } = {}): Promise<void> {
    const have = await this.get(name);
    if (have && have.kind !== 'bridge') throw new Error(`${name} exists and is a ${have.kind ?? 'device'}, not a bridge`);
    if (!have) await this.#ip(['link', 'add', checkLinkName(name), 'type', 'bridge']);
    await this.#settle(name, { mtu: opts.mtu, up: true });
  }

  /** A tap device (for a QEMU NIC), up, enslaved to `master` when given. */
  async ensureTap(name: string, opts: { master?: string; mtu?: number } = {}): Promise<void> {
    const have = await this.get(name);
    if (have && have.kind !== 'tun') throw new Error(`${name} exists and is a ${have.kind ?? 'device'}, not a tap`);
    if (!have) await this.#ip(['tuntap', 'add', 'dev', checkLinkName(name), 'mode', 'tap']);
    await this.#settle(name, { ...opts, up: true });
  }

  /**
   * A veth pair `name` ↔ `peer`, both up; the peer moves into `peerNetns`
   * when given (then it is configured there).
   */
  async ensureVeth(name: string, peer: string, opts: { peerNetns?: string; master?: string; mtu?: number } = {}): Promise<void> {
    const have = await this.get(name);
    if (have && have.kind !== 'veth') throw new Error(`${name} exists and is a ${have.kind ?? 'device'}, not a veth`);
    if (!have) {
      const where = opts.peerNetns ? ['netns', checkNetns(opts.peerNetns)] : [];
      await this.#ip(['link', 'add', checkLinkName(name), 'type', 'veth', 'peer', 'name', checkLinkName(peer), ...where]);
    }
    await this.#settle(name, { master: opts.master, mtu: opts.mtu, up: true });
    const other = opts.peerNetns ? new IpLinks({ netns: opts.peerNetns }) : this;
    await other.#settle(peer, { mtu: opts.mtu, up: true });
  }

  /**
   * A VXLAN device for segment `vni` over `local` (the host's tunnel
   * address), without learning: the agent fills the forwarding table from
   * the port database (`ensureFloodList`), as unicast VXLAN needs no
   * multicast from the underlay.
   */
  async ensureVxlan(name: string, opts: { vni: number; local: string; dstport?: number; master?: string; mtu?: number }): Promise<void> {
    if (!Number.isInteger(opts.vni) || opts.vni < 1 || opts.vni > 16_777_215) throw new Error(`VXLAN id ${opts.vni} out of range`);
    const have = await this.get(name);
    if (have && have.kind !== 'vxlan') throw new Error(`${name} exists and is a ${have.kind ?? 'device'}, not a VXLAN`);
    if (!have) {
      await this.#ip([
        'link',
        'add',
        checkLinkName(name),
        'type',
        'vxlan',
        'id',
        String(opts.vni),
        'local',
        checkIp(opts.local),
        'dstport',
        String(opts.dstport ?? 4789),
        'nolearning',
      ]);
    }
    await this.#settle(name, { master: opts.master, mtu: opts.mtu, up: true });
  }

  /** The remote tunnel endpoints a VXLAN device floods broadcast and unknown traffic to. */
  async floodList(name: string): Promise<string[]> {
    const rows = JSON.parse((await this.#bridge(['-json', 'fdb', 'show', 'dev', checkLinkName(name)])) || '[]') as {
      mac: string;
      dst?: string;
    }[];
    return rows.filter((r) => r.mac === '00:00:00:00:00:00' && r.dst).map((r) => r.dst!);
  }

  /** Makes the flood list of VXLAN `name` exactly `remotes` (the other hosts with ports on its network). */
  async ensureFloodList(name: string, remotes: string[]): Promise<void> {
    const want = new Set(remotes.map(checkIp));
    const have = new Set(await this.floodList(name));
    for (const r of want) if (!have.has(r)) await this.#bridge(['fdb', 'append', '00:00:00:00:00:00', 'dev', name, 'dst', r]);
    for (const r of have) if (!want.has(r)) await this.#bridge(['fdb', 'del', '00:00:00:00:00:00', 'dev', name, 'dst', r]);
  }

  async #bridge(args: string[]): Promise<string> {
    const ns = this.#netns ? ['ip', 'netns', 'exec', this.#netns] : [];
    return (await runCommand([...ns, 'bridge', ...args], { timeoutMs: 30_000 })).stdout;
  }

  /** Enslaves an existing link to a bridge (and brings it up). */
  async ensureBridgePort(name: string, bridge: string): Promise<void> {
    await this.#settle(name, { master: bridge, up: true });
  }

  /** Sets a link's MAC address unless it has it (a DHCP port's veth end carries the port's MAC). */
  async ensureMac(name: string, mac: string): Promise<void> {
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw new Error(`invalid MAC ${JSON.stringify(mac)}`);
    const link = await this.get(name);
    if (!link) throw new Error(`${name} does not exist`);
    if (link.mac !== mac) await this.#ip(['link', 'set', 'dev', checkLinkName(name), 'address', mac]);
  }

  /** An 802.1Q device `name` for VLAN `id` on `link`, up, enslaved to `master` when given. */
  async ensureVlan(name: string, opts: { link: string; id: number; master?: string; mtu?: number }): Promise<void> {
    if (!Number.isInteger(opts.id) || opts.id < 1 || opts.id > 4094) throw new Error(`VLAN id ${opts.id} out of range`);
    const have = await this.get(name);
    if (have && have.kind !== 'vlan') throw new Error(`${name} exists and is a ${have.kind ?? 'device'}, not a VLAN`);
    if (!have)
      await this.#ip(['link', 'add', 'link', checkLinkName(opts.link), 'name', checkLinkName(name), 'type', 'vlan', 'id', String(opts.id)]);
    await this.#settle(name, { master: opts.master, mtu: opts.mtu, up: true });
  }

  /** Adds `cidr` (e.g. 203.0.113.1/24) to `name` unless it is there already. */
  async ensureAddress(name: string, cidr: string): Promise<void> {
    if ((await this.addresses(name)).includes(cidr)) return;
    await this.#ip(['address', 'add', cidr, 'dev', checkLinkName(name)]);
  }

  /** The global-scope addresses of `name`, as address/prefix (the kernel's own link-local ones are not the agent's). */
  async addresses(name: string): Promise<string[]> {
    const rows = JSON.parse((await this.#ip(['-json', 'address', 'show', 'dev', checkLinkName(name)])) || '[]') as {
      addr_info?: { local: string; prefixlen: number; scope?: string }[];
    }[];
    return rows.flatMap((r) => (r.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`));
  }

  /** Deletes a link; a link that is not there is fine. */
  async delete(name: string): Promise<void> {
    await this.#ip(['link', 'del', checkLinkName(name)]).catch((e: unknown) => {
      if (!missing(e)) throw e;
    });
  }

  async #settle(name: string, s: { master?: string; mtu?: number; up?: boolean }): Promise<void> {
    const link = await this.get(name);
    if (!link) throw new Error(`${name} vanished while it was being set up`);
    if (s.mtu !== undefined && link.mtu !== s.mtu) await this.#ip(['link', 'set', 'dev', name, 'mtu', String(s.mtu)]);
    if (s.master !== undefined && link.master !== s.master) await this.#ip(['link', 'set', 'dev', name, 'master', checkLinkName(s.master)]);
    if (s.up && !link.up) await this.#ip(['link', 'set', 'dev', name, 'up']);
  }
}

/** Network namespaces (`ip netns`), by name. */
export async function listNetns(): Promise<string[]> {
  const out = (await runCommand(['ip', '-json', 'netns', 'list'], { timeoutMs: 30_000 })).stdout;
  return ((JSON.parse(out || '[]') as { name: string }[]) ?? []).map((n) => n.name);
}

export async function ensureNetns(name: string): Promise<void> {
  if ((await listNetns()).includes(checkNetns(name))) return;
  await runCommand(['ip', 'netns', 'add', name], { timeoutMs: 30_000 });
  // Loopback up: services inside (dnsmasq, metadata proxy) bind to it.
  await runCommand(['ip', '-n', name, 'link', 'set', 'lo', 'up'], { timeoutMs: 30_000 });
}

/** Deletes a namespace and with it every link inside; a missing one is fine. Processes inside are the caller's to end. */
export async function deleteNetns(name: string): Promise<void> {
  if (!(await listNetns()).includes(checkNetns(name))) return;
  await runCommand(['ip', 'netns', 'del', name], { timeoutMs: 30_000 });
}
