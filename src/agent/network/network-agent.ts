import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Bus, BusSubscription } from '../../lib/bus/bus.js';
import type { Logger } from '../../lib/log.js';
import type { NetworkSpec } from '../../lib/rpc/compute-rpc.js';
import {
  NETWORK_AGENT_TOPIC,
  NETWORK_TOPIC,
  type AgentReport,
  type HostState,
  type NetworkSegment,
  type PortsStatus,
} from '../../lib/rpc/network-rpc.js';
import { Dnsmasq } from '../host/dnsmasq.js';
import { ensureMetadataProxy, stopMetadataProxy } from '../host/metadata-proxy-process.js';
import { MetadataServer } from './metadata-server.js';
import { IpLinks, deleteNetns, ensureNetns, listNetns } from '../host/ip-links.js';
import { RouterPlumbing, type RouterSpec } from './router-plumbing.js';
import { applySecurityGroups, type PortFirewall } from './security-groups.js';

export interface NetworkAgentOptions {
  host: string;
  /** This host's VXLAN endpoint address. */
  tunnelIp: string;
  dhcp: boolean;
  l3: boolean;
  /** Physical network → interface or bridge name. */
  physicalNetworks: Map<string, string>;
  /** Address the host takes on the `provider` bridge when Kumo creates it ('' for none). */
  providerGateway: string;
  /** Namespaces Kumo owns start so (DHCP and routers). */
  netnsPrefix: string;
  stateDir: string;
  bus: Bus;
  log: Logger;
  /** Seconds between full resyncs and reports. */
  intervalSec?: number;
  /** False (the fake driver, tests): nothing on the host is touched; bound ports are only reported plugged. */
  dataplane: boolean;
  /** Namespace that plays the host's part (bridges, taps, iptables); undefined: the agent's own. */
  hostNetns?: string;
}

const short = (id: string): string => id.slice(0, 11);
/** Link names the agent makes: a prefix and 11 characters of a UUID (or a VNI); anything else on the host is never touched. */
const OWNED = /^(?:(?:brq|tap|pn|pb|pt|pv|td|rg|ri)[0-9a-f]{8}-[0-9a-f]{2}|vxlan-\d{1,8})$/;

/**
 * The network side of an agent: pulls its host's desired state from the
 * network service and converges the host on it — bridges per network,
 * uplinks to physical networks, VXLAN with flood lists, taps for ports,
 * security groups, a DHCP namespace per network and a namespace per router.
 * Every pass is idempotent; what Kumo owns and no longer wants is removed.
 */
export class NetworkAgent {
  readonly #o: NetworkAgentOptions;
  readonly #links: IpLinks;
  readonly #routers: RouterPlumbing;
  readonly #metadata: MetadataServer | undefined;
  #routerSpecs = new Map<string, RouterSpec>();
  #sub: BusSubscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #firewalled = false;
  #closed = false;

  constructor(opts: NetworkAgentOptions) {
    this.#o = opts;
    this.#links = new IpLinks(opts.hostNetns ? { netns: opts.hostNetns } : {});
    this.#routers = new RouterPlumbing(opts.hostNetns ? { hostNetns: opts.hostNetns } : {});
    if (opts.dataplane && opts.dhcp) this.#metadata = new MetadataServer(opts.bus, opts.log);
  }

  async start(): Promise<void> {
    if (this.#o.dataplane) {
      // dnsmasq drops to `nobody` and re-reads its hosts file there on SIGHUP: every directory above
      // the file must be traversable (the data dir: 0711, nothing listable; the DHCP dirs: 0755).
      await mkdir(this.#o.stateDir, { recursive: true });
      for (const dir of [dirname(this.#o.stateDir), this.#o.stateDir]) {
        const mode = (await stat(dir)).mode & 0o777;
        if ((mode & 0o001) === 0) await chmod(dir, mode | 0o011);
      }
    }
    await this.#metadata?.start(this.#socket());
    this.#sub = await this.#o.bus.serve(
      { topic: NETWORK_AGENT_TOPIC, server: this.#o.host },
      { state_changed: () => void this.sync().catch(() => undefined) },
    );
    const pass = (): void =>
      void this.#report()
        .then(() => this.sync())
        .catch((e: unknown) => this.#warn(e));
    pass();
    this.#timer = setInterval(pass, (this.#o.intervalSec ?? 10) * 1000);
    this.#timer.unref();
  }

  /** No network service on the bus (a compute-only deployment) is not worth a warning every pass. */
  #warn(e: unknown): void {
    const quiet = (e as { code?: string }).code === 'bus_timeout';
    if (quiet) this.#o.log.debug({ err: e }, 'no network service answered');
    else this.#o.log.warn({ err: e }, 'network sync failed');
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#sub?.close();
    await this.#running?.catch(() => undefined);
    await this.#metadata?.close();
  }

  /** Before a guest starts: its taps exist on their bridges (the state is pulled now, then checked). */
  async plug(networks: NetworkSpec[]): Promise<void> {
    if (networks.length === 0) return;
    // A failure elsewhere on the host (another network's DHCP, a router) does not stop this guest: its taps and
    // the firewall do. Two passes, as the first may have started before this guest's ports were bound here.
    let last: unknown;
    for (let pass = 0; pass < 2; pass++) {
      last = await this.sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (last && !(last instanceof PartialSyncError && last.firewall)) continue;
      if (!this.#o.dataplane) return;
      const missing: string[] = [];
      for (const n of networks) {
        const tap = String(n.vifDetails.tap ?? '');
        if (!(await this.#links.get(tap))) missing.push(`no tap ${tap} for port ${n.portId}`);
      }
      if (missing.length === 0) return;
      last = new Error(`ports not plugged on host ${this.#o.host}: ${missing.join('; ')}`);
    }
    throw last;
  }

  /** One convergence pass; calls during a pass make one more pass after it. */
  sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        // A pass asked for during a failed one still runs (it may carry what the caller waits for).
        let error: unknown;
        do {
          this.#again = false;
          if (this.#closed) return;
          error = undefined;
          try {
            const state = await this.#o.bus.call<HostState>(
              { topic: NETWORK_TOPIC },
              'host_state',
              { host: this.#o.host },
              { timeoutMs: 20_000 },
            );
            await this.#apply(state);
          } catch (e) {
            error = e;
          }
        } while (this.#again);
        if (error) throw error;
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  #socket(): string {
    return join(this.#o.stateDir, 'metadata.sock');
  }

  #report(): Promise<unknown> {
    const r: AgentReport = { host: this.#o.host, tunnelIp: this.#o.tunnelIp, dhcp: this.#o.dhcp, l3: this.#o.l3 };
    return this.#o.bus.call({ topic: NETWORK_TOPIC }, 'agent_report', r as never, { timeoutMs: 10_000 });
  }

  async #apply(state: HostState): Promise<void> {
    if (!this.#o.dataplane) {
      if (state.ports.length > 0) await this.#portsUp(state.ports.map((p) => p.id));
      return;
    }
    // One broken piece (a router, a DHCP server) must not keep the rest of the host, or a new guest, waiting:
    // each is tried on its own; what failed is logged, retried next pass and reported at the end.
    const failed: string[] = [];
    let firewall = true;
    const attempt = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
      try {
        await fn();
        return true;
      } catch (e) {
        failed.push(what);
        this.#o.log.warn({ err: e }, `network agent: ${what} failed`);
        return false;
      }
    };
    const wanted = new Set<string>();
    for (const n of state.networks) await attempt(`network ${n.id}`, () => this.#network(n, wanted));
    const bridgeOf = new Map(state.networks.map((n) => [n.id, n]));
    const up: string[] = [];
    for (const p of state.ports) {
      const n = bridgeOf.get(p.networkId);
      if (!n) continue;
      wanted.add(p.tap);
      if (await attempt(`tap of port ${p.id}`, () => this.#links.ensureTap(p.tap, { master: n.bridge, mtu: n.mtu }))) up.push(p.id);
    }
    const firewalls: PortFirewall[] = state.ports.map((p) => ({
      tap: p.tap,
      mac: p.mac,
      ips: p.ips.filter((ip) => !ip.includes(':')),
      allowedAddressPairs: p.allowedAddressPairs.filter((a) => !a.ip.includes(':')),
      portSecurity: p.portSecurity,
      rules: p.rules.filter((r) => r.ethertype === 'IPv4'),
    }));
    // iptables is touched only once there is something to filter, and then kept converged (also when emptied).
    if (firewalls.length > 0 || this.#firewalled) {
      firewall = await attempt('security groups', () =>
        applySecurityGroups(firewalls, this.#o.hostNetns ? { netns: this.#o.hostNetns } : {}),
      );
      this.#firewalled = true;
    }
    const namespaces = new Set<string>();
    const owners: MetadataOwner[] = [];
    for (const d of state.dhcp) {
      const ns = `${this.#o.netnsPrefix}dhcp-${short(d.networkId)}`;
      namespaces.add(ns);
      const leg = `td${short(d.networkId)}`;
      wanted.add(leg);
      await attempt(`DHCP of network ${d.networkId}`, () => this.#dhcp(d, ns, leg, bridgeOf.get(d.networkId), owners));
    }
    this.#metadata?.setOwners(owners);
    const routerSpecs = new Map<string, RouterSpec>();
    for (const r of state.routers) {
      const ns = `${this.#o.netnsPrefix}router-${short(r.id)}`;
      namespaces.add(ns);
      const spec = routerSpecOf(r, ns);
      for (const leg of [...spec.interfaces, ...(spec.gateway ? [spec.gateway] : [])]) wanted.add(leg.hostIface);
      const previous = this.#routerSpecs.get(r.id);
      // A router that failed keeps its last applied spec, so the next pass compares against what is really there.
      if (await attempt(`router ${r.id}`, () => this.#routers.apply(spec, previous))) routerSpecs.set(r.id, spec);
      else if (previous) routerSpecs.set(r.id, previous);
    }
    for (const [id, spec] of this.#routerSpecs) if (!routerSpecs.has(id)) await this.#routers.remove(spec).catch(() => undefined);
    this.#routerSpecs = routerSpecs;
    // Removing what is not wanted is only safe when the wanted set is whole.
    if (failed.length === 0) await this.#removeStale(wanted, namespaces);
    if (up.length > 0) await this.#portsUp(up);
    if (failed.length > 0) throw new PartialSyncError(failed, firewall);
  }

  /** A network's DHCP server: its namespace and `leg` (host side) on the bridge, the metadata proxy, dnsmasq's config. */
  async #dhcp(
    d: HostState['dhcp'][number],
    ns: string,
    leg: string,
    n: NetworkSegment | undefined,
    owners: MetadataOwner[],
  ): Promise<void> {
    await ensureNetns(ns);
    await this.#links.ensureVeth(leg, 'ns-dhcp', { peerNetns: ns, master: d.bridge, ...(n ? { mtu: n.mtu } : {}) });
    const inner = new IpLinks({ netns: ns });
    await inner.ensureMac('ns-dhcp', d.mac);
    const v4 = d.addresses.filter((x) => !x.includes(':'));
    for (const a of v4) await inner.ensureAddress('ns-dhcp', a);
    const dir = join(this.#o.stateDir, 'dhcp', d.networkId);
    // Metadata for guests on this network: the proxy answers on 169.254.169.254 here, guests route to it via option 121.
    const metadataVia = this.#metadata && v4[0] ? v4[0].split('/')[0] : undefined;
    if (metadataVia) {
      await inner.ensureAddress('ns-dhcp', '169.254.169.254/32');
      await ensureMetadataProxy({ netns: ns, dir, socket: this.#socket(), networkId: d.networkId });
      for (const h of d.hosts)
        if (h.instanceId) owners.push({ networkId: d.networkId, ip: h.ip, instanceId: h.instanceId, floatingIp: h.floatingIp });
    }
    await new Dnsmasq({ netns: ns, interface: 'ns-dhcp', dir }).apply({
      subnets: d.subnets.map((s) => ({
        tag: `s${short(s.id).replaceAll('-', '')}`,
        cidr: s.cidr,
        gateway: s.gateway,
        dnsServers: s.dnsServers.filter((x) => !x.includes(':')),
        mtu: s.mtu,
        ...(metadataVia ? { metadataVia } : {}),
      })),
      hosts: d.hosts.filter((h) => !h.ip.includes(':')).map(({ mac, ip, hostname }) => ({ mac, ip, hostname })),
    });
  }

  async #portsUp(up: string[]): Promise<void> {
    const st: PortsStatus = { host: this.#o.host, up, down: [] };
    await this.#o.bus.call({ topic: NETWORK_TOPIC }, 'ports_status', st as never, { timeoutMs: 10_000 });
  }

  /** The network's bridge and its way out: the physical network (flat, VLAN) or VXLAN to the peers. */
  async #network(n: NetworkSegment, wanted: Set<string>): Promise<void> {
    await this.#links.ensureBridge(n.bridge, { mtu: n.mtu });
    wanted.add(n.bridge);
    if (n.type === 'vxlan' && n.segmentationId !== null) {
      if (!this.#o.tunnelIp) return;
      const dev = `vxlan-${n.segmentationId}`;
      await this.#links.ensureVxlan(dev, { vni: n.segmentationId, local: this.#o.tunnelIp, master: n.bridge, mtu: n.mtu });
      await this.#links.ensureFloodList(dev, n.peers);
      wanted.add(dev);
      return;
    }
    if ((n.type !== 'flat' && n.type !== 'vlan') || !n.physicalNetwork) return;
    const dev = this.#o.physicalNetworks.get(n.physicalNetwork);
    if (!dev) {
      this.#o.log.warn({ network: n.id, physnet: n.physicalNetwork }, 'physical network not mapped on this host');
      return;
    }
    const existing = await this.#links.get(dev);
    if (existing && existing.kind !== 'bridge') {
      // A real interface: enslaved (flat) or carrying the VLAN, as Neutron's linuxbridge agent does.
      if (n.type === 'flat') await this.#links.ensureBridgePort(dev, n.bridge);
      else {
        const vlan = `pv${short(n.id)}`;
        await this.#links.ensureVlan(vlan, { link: dev, id: n.segmentationId!, master: n.bridge });
        wanted.add(vlan);
      }
      return;
    }
    // A bridge (Kumo's own when missing): the network's bridge is patched to it with a veth pair.
    await this.#links.ensureBridge(dev, { mtu: n.mtu });
    if (n.physicalNetwork === 'provider' && this.#o.providerGateway) await this.#links.ensureAddress(dev, this.#o.providerGateway);
    const outer = `pb${short(n.id)}`;
    wanted.add(outer);
    if (n.type === 'flat') {
      await this.#links.ensureVeth(outer, `pn${short(n.id)}`, { master: dev });
      await this.#links.ensureBridgePort(`pn${short(n.id)}`, n.bridge);
      wanted.add(`pn${short(n.id)}`);
    } else {
      await this.#links.ensureVeth(outer, `pt${short(n.id)}`, { master: dev });
      await this.#links.ensureVlan(`pv${short(n.id)}`, { link: `pt${short(n.id)}`, id: n.segmentationId!, master: n.bridge });
      wanted.add(`pt${short(n.id)}`);
      wanted.add(`pv${short(n.id)}`);
    }
  }

  async #removeStale(wanted: Set<string>, namespaces: Set<string>): Promise<void> {
    for (const l of await this.#links.list()) {
      if (!OWNED.test(l.name) || wanted.has(l.name)) continue;
      this.#o.log.info({ link: l.name }, 'removing a link no network needs here');
      await this.#links.delete(l.name);
    }
    const prefix = this.#o.netnsPrefix;
    for (const ns of await listNetns()) {
      // Only the kinds of namespace the agent makes (a DHCP server's, a router's) are its to remove.
      if (!(ns.startsWith(`${prefix}dhcp-`) || ns.startsWith(`${prefix}router-`)) || namespaces.has(ns)) continue;
      if (ns.startsWith(`${prefix}dhcp-`)) {
        // The DHCP server of that network goes with its namespace (its files name it by full network id).
        for (const dir of await dhcpDirs(join(this.#o.stateDir, 'dhcp'))) {
          if (!ns.endsWith(dir.slice(0, 11))) continue;
          await new Dnsmasq({ netns: ns, interface: 'ns-dhcp', dir: join(this.#o.stateDir, 'dhcp', dir) }).stop();
          await stopMetadataProxy(join(this.#o.stateDir, 'dhcp', dir), dir);
        }
      }
      await deleteNetns(ns).catch((e: unknown) => this.#o.log.warn({ err: e, ns }, 'could not delete a stale namespace'));
    }
  }
}

async function dhcpDirs(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

type MetadataOwner = { networkId: string; ip: string; instanceId: string; floatingIp?: string };

/** How the agent plumbs a router of the host state: its namespace, its legs (host side ri…/rg…), its floating IPs. */
function routerSpecOf(r: HostState['routers'][number], ns: string): RouterSpec {
  const spec: RouterSpec = {
    netns: ns,
    interfaces: r.interfaces.map((i) => ({
      iface: `qr-${short(i.portId)}`,
      hostIface: `ri${short(i.portId)}`,
      bridge: i.bridge,
      cidr: i.cidr,
      mtu: i.mtu,
    })),
    floatingIps: r.floatingIps,
  };
  if (r.gateway && r.gateway.nexthop) {
    spec.gateway = {
      iface: `qg-${short(r.gateway.portId)}`,
      hostIface: `rg${short(r.gateway.portId)}`,
      bridge: r.gateway.bridge,
      cidr: r.gateway.cidr,
      mtu: r.gateway.mtu,
      nexthop: r.gateway.nexthop,
      snat: r.gateway.snat,
    };
  }
  return spec;
}

/** A pass that converged all but some pieces (each was logged); `firewall` says whether the security groups were applied. */
export class PartialSyncError extends Error {
  constructor(
    readonly failed: string[],
    readonly firewall: boolean,
  ) {
    super(`network sync: ${failed.join(', ')} failed (see the warnings before this)`);
  }
}
