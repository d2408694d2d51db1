/**
 * DHCP for one network: a dnsmasq in the network's namespace, serving only
 * the fixed addresses of its ports (static ranges, one host entry per port,
 * as Neutron's DHCP agent does). The desired state is written to a hosts
 * file and an options file; a change of hosts or options is a SIGHUP, a
 * change of subnets (the command line) a restart. dnsmasq runs detached like
 * QEMU, its pid in a file, so an agent restart leaves DHCP answering.
 * dnsmasq drops root for `nobody` and rereads its files as that user: `dir`
 * and every directory above it must be traversable by others (the agent keeps
 * them under a world-readable runtime directory, not the 0700 data dir), and
 * the files are 0644 — they hold MACs, addresses and host names, no secrets.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, killPid, spawnSupervised } from './host-process.js';
import { checkLinkName } from './ip-links.js';

export interface DhcpSubnet {
  /** Short id of the subnet (dnsmasq tag), [A-Za-z0-9_-]. */
  tag: string;
  /** IPv4 network, e.g. 203.0.113.0/24. */
  cidr: string;
  gateway: string | null;
  dnsServers: string[];
  /** Default 86400 (Neutron's dhcp_lease_duration). */
  leaseSeconds?: number;
  /** Advertised with DHCP option 26 when set (VXLAN networks need 1450). */
  mtu?: number;
  /** The DHCP server's own address when it also serves metadata: guests get a route to 169.254.169.254 through it (option 121). */
  metadataVia?: string;
}

export interface DhcpHost {
  mac: string;
  ip: string;
  hostname: string;
}

export interface DhcpState {
  subnets: DhcpSubnet[];
  hosts: DhcpHost[];
}

const TAG = /^[A-Za-z0-9_-]{1,32}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function ipv4(s: string): number {
  const m = IPV4.exec(s);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
  return m.slice(1).reduce((a, o) => a * 256 + Number(o), 0);
}

const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** Network address and netmask of an IPv4 CIDR. */
function network(cidr: string): { address: string; netmask: string } {
  const [addr, len] = cidr.split('/');
  const bits = Number(len);
  if (!Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`unsupported IPv4 prefix in ${JSON.stringify(cidr)}`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { address: dotted((ipv4(addr!) & mask) >>> 0), netmask: dotted(mask) };
}

export class Dnsmasq {
  readonly #netns: string | undefined;
  readonly #iface: string;
  readonly #dir: string;

  /** `dir` holds this network's files (and names the process: it is the pid check's marker). */
  constructor(opts: { netns?: string; interface: string; dir: string }) {
    this.#netns = opts.netns;
    this.#iface = checkLinkName(opts.interface);
    this.#dir = opts.dir;
  }

  #path(name: string): string {
    return join(this.#dir, name);
  }

  async pid(): Promise<number | undefined> {
    const raw = await readFile(this.#path('pid'), 'utf8').catch(() => '');
    const pid = Number(raw.trim());
    return Number.isInteger(pid) && pid > 0 && (await isAlive(pid, this.#dir)) ? pid : undefined;
  }

  /** Converges on `state`: files rewritten, then start, restart (new subnets) or SIGHUP (new hosts/options) as needed. */
  async apply(state: DhcpState): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await chmod(this.#dir, 0o755);
    const argv = this.#argv(state.subnets);
    const hosts = state.hosts.map(hostLine).join('');
    const opts = state.subnets.flatMap(optionLines).join('');
    const before = await readFile(this.#path('hosts'), 'utf8').catch(() => '');
    const hostsChanged = await replace(this.#path('hosts'), hosts);
    const optsChanged = await replace(this.#path('opts'), opts);
    const argvChanged = await replace(this.#path('argv.json'), JSON.stringify(argv));
    // A host gone (a deleted port) leaves its lease in dnsmasq, which then refuses that address to the next
    // port given it: dnsmasq restarts without those leases (Neutron releases them with dhcp_release).
    const kept = new Set(hosts.split('\n').filter(Boolean));
    const released = before.split('\n').some((line) => line !== '' && !kept.has(line));
    const pid = await this.pid();
    if (pid !== undefined && !argvChanged && !released) {
      if (hostsChanged || optsChanged) process.kill(pid, 'SIGHUP');
      return;
    }
    if (pid !== undefined) await this.#kill(pid);
    if (released) await this.#pruneLeases(state.hosts);
    if (state.subnets.length === 0) return;
    const child = await spawnSupervised(this.#netns ? ['ip', 'netns', 'exec', this.#netns, ...argv] : argv, this.#path('log'));
    // --keep-in-foreground: `ip netns exec` execs dnsmasq, so this pid is dnsmasq's own.
    await writeFile(this.#path('pid'), `${child.pid}\n`);
  }

  /** Keeps only the leases of current hosts (same MAC and address); dnsmasq reads the file when it starts. */
  async #pruneLeases(hosts: DhcpHost[]): Promise<void> {
    const current = new Set(hosts.map((h) => `${h.mac.toLowerCase()} ${h.ip}`));
    const text = await readFile(this.#path('leases'), 'utf8').catch(() => '');
    const keep = text.split('\n').filter((line) => {
      const [, mac, ip] = line.split(' ');
      return line !== '' && current.has(`${(mac ?? '').toLowerCase()} ${ip ?? ''}`);
    });
    await replace(this.#path('leases'), keep.map((l) => `${l}\n`).join(''));
  }

  /** Stops dnsmasq (the files stay, for a later apply). */
  async stop(): Promise<void> {
    const pid = await this.pid();
    if (pid !== undefined) await this.#kill(pid);
  }

  async #kill(pid: number): Promise<void> {
    await killPid(pid, this.#dir, 'SIGTERM');
    for (let i = 0; i < 50 && (await isAlive(pid, this.#dir)); i++) await new Promise((r) => setTimeout(r, 100));
    await killPid(pid, this.#dir, 'SIGKILL');
  }

  #argv(subnets: DhcpSubnet[]): string[] {
    const argv = [
      'dnsmasq',
      '--keep-in-foreground',
      '--no-hosts',
      '--no-resolv',
      // DHCP only: Kumo runs no DNS service.
      '--port=0',
      '--user=nobody',
      '--group=nogroup',
      '--conf-file=/dev/null',
      '--bind-interfaces',
      `--interface=${this.#iface}`,
      '--except-interface=lo',
      `--pid-file=${this.#path('dnsmasq.pid')}`,
      `--dhcp-leasefile=${this.#path('leases')}`,
      `--dhcp-hostsfile=${this.#path('hosts')}`,
      `--dhcp-optsfile=${this.#path('opts')}`,
      '--dhcp-authoritative',
      '--log-dhcp',
      // To stderr, which spawnSupervised appends to the network's log file.
      '--log-facility=-',
    ];
    for (const s of subnets) {
      if (!TAG.test(s.tag)) throw new Error(`invalid subnet tag ${JSON.stringify(s.tag)}`);
      const { address, netmask } = network(s.cidr);
      argv.push(`--dhcp-range=set:${s.tag},${address},static,${netmask},${s.leaseSeconds ?? 86400}s`);
    }
    return argv;
  }
}

function hostLine(h: DhcpHost): string {
  if (!MAC.test(h.mac)) throw new Error(`invalid MAC address ${JSON.stringify(h.mac)}`);
  ipv4(h.ip);
  if (!HOSTNAME.test(h.hostname)) throw new Error(`invalid host name ${JSON.stringify(h.hostname)}`);
  return `${h.mac},${h.hostname},${h.ip}\n`;
}

function optionLines(s: DhcpSubnet): string[] {
  const out: string[] = [];
  // Without a gateway the guest must not get a default route (an empty option 3).
  out.push(s.gateway ? `tag:${s.tag},option:router,${dotted(ipv4(s.gateway))}\n` : `tag:${s.tag},option:router\n`);
  if (s.dnsServers.length) out.push(`tag:${s.tag},option:dns-server,${s.dnsServers.map((d) => dotted(ipv4(d))).join(',')}\n`);
  if (s.mtu) out.push(`tag:${s.tag},option:mtu,${Math.trunc(s.mtu)}\n`);
  if (s.metadataVia) {
    // With option 121 clients ignore option 3, so the default route is repeated in it.
    const routes = [`169.254.169.254/32,${dotted(ipv4(s.metadataVia))}`, ...(s.gateway ? [`0.0.0.0/0,${dotted(ipv4(s.gateway))}`] : [])];
    out.push(`tag:${s.tag},option:classless-static-route,${routes.join(',')}\n`);
  }
  return out;
}

/** Writes `content` to `path` (atomically) unless it is already that; true when it changed. */
async function replace(path: string, content: string): Promise<boolean> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === content) return false;
  await writeFile(`${path}.tmp`, content, { mode: 0o644 });
  await rename(`${path}.tmp`, path);
  return true;
}
