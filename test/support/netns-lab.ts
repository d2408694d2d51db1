/**
 * The data-plane lab (GUIDE §5): network namespaces a test creates — one per
 * simulated host or outside network — and tears down, even when the test
 * fails. Everything a data-plane test builds lives inside them: nothing is
 * routed or NATed to the root namespace, so no traffic leaves the lab.
 * Processes a test starts inside the lab are its own; `destroy` ends them by
 * pid (those it tracked, then any still inside a lab namespace, which only
 * this lab can have started) before deleting the namespaces.
 */
import { randomBytes } from 'node:crypto';
import { deleteNetns, ensureNetns, listNetns } from '../../src/agent/host/ip-links.js';
import { runCommand, type CommandResult } from '../../src/agent/host/host-process.js';

/** Why data-plane tests cannot run here, or undefined when they can (root and iproute2). */
export async function labUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'data-plane tests need root (network namespaces)';
  try {
    await listNetns();
    return undefined;
  } catch (e) {
    return `iproute2 cannot list network namespaces: ${(e as Error).message}`;
  }
}

export class NetnsLab {
  /** Prefix of every namespace of this lab (unique per lab). */
  readonly prefix: string;
  readonly #names = new Set<string>();
  readonly #pids = new Set<number>();

  private constructor() {
    this.prefix = `klab-${randomBytes(3).toString('hex')}`;
  }

  /** A lab with one namespace per name (e.g. ['host1', 'host2', 'outside']). */
  static async create(names: string[]): Promise<NetnsLab> {
    const lab = new NetnsLab();
    try {
      for (const n of names) await lab.add(n);
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** The full namespace name of `name`. */
  ns(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /**
   * Settings that put a `kumo up` agent's data plane in this lab: the host is namespace `name`, the
   * agent's DHCP and router namespaces carry the lab's prefix (torn down with it), and VXLAN
   * endpoints use an address inside the lab (default: the provider gateway's).
   */
  agentEnv(name: string, tunnelIp = '203.0.113.1'): Record<string, string> {
    return { KUMO_AGENT_NETNS: this.ns(name), KUMO_NETWORK_NETNS_PREFIX: `${this.prefix}-`, KUMO_AGENT_TUNNEL_IP: tunnelIp };
  }

  async add(name: string): Promise<string> {
    const ns = this.ns(name);
    this.#names.add(ns);
    await ensureNetns(ns);
    return ns;
  }

  /** Runs `argv` inside namespace `name` to completion. */
  exec(name: string, argv: string[], timeoutMs = 30_000): Promise<CommandResult> {
    return runCommand(['ip', 'netns', 'exec', this.ns(name), ...argv], { timeoutMs });
  }

  /** Ends `pid` (started by the test inside the lab) at teardown if it is still running. */
  track(pid: number): void {
    this.#pids.add(pid);
  }

  /** Pids of the processes inside the lab's namespaces. */
  async pids(): Promise<number[]> {
    const out: number[] = [];
    for (const ns of this.#names) {
      const r = await runCommand(['ip', 'netns', 'pids', ns]).catch(() => ({ stdout: '' }));
      out.push(...r.stdout.split(/\s+/).filter(Boolean).map(Number));
    }
    return out;
  }

  /** Namespaces of this lab that still exist. */
  async leftovers(): Promise<string[]> {
    return (await listNetns()).filter((n) => n.startsWith(`${this.prefix}-`));
  }

  /** Namespaces made inside the lab's prefix by what the test started (an agent's DHCP and router namespaces) become the lab's, to be torn down with it. */
  async adoptLeftovers(): Promise<void> {
    for (const ns of await this.leftovers()) this.#names.add(ns);
  }

  /**
   * The end of a data-plane test: guests the test's cloud started (QEMU pids
   * it recorded) are killed, the namespaces the agent made under the lab's
   * prefix are adopted, everything is destroyed. Returns what is left (none
   * expected: the tests assert it).
   */
  async teardown(guestPids: number[]): Promise<string[]> {
    for (const pid of guestPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.adoptLeftovers();
    await this.destroy();
    return this.leftovers();
  }

  async destroy(): Promise<void> {
    for (const pid of new Set([...this.#pids, ...(await this.pids())])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.#pids.clear();
    for (const ns of this.#names) await deleteNetns(ns);
  }
}
