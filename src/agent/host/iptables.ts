/**
 * The firewall rules Kumo owns, applied from a desired state (as Neutron's
 * iptables_manager): Kumo's chains all carry one prefix; a state lists, per
 * table, those chains with their rules and the jumps into them from the
 * built-in chains. `apply` turns it into one `iptables-restore --noflush`
 * input per family, so each table changes atomically and rules that are not
 * Kumo's (the host's own, another tool's) are never touched. Applying the
 * same state twice changes nothing; in each table the state names, chains of
 * ours it no longer lists are removed (a table it leaves out is not looked
 * at: `{ filter: { chains: {}, jumps: [] } }` empties the filter table of
 * ours). Parts of the agent that share a namespace use different prefixes.
 */
import { runCommand } from './host-process.js';

export type TableName = 'filter' | 'nat' | 'mangle' | 'raw';

export interface TableState {
  /** Our chain → its rules in order, each as the arguments after `-A <chain>` (e.g. `-p icmp -j ACCEPT`). */
  chains: Record<string, string[]>;
  /** Rules placed first in built-in chains, in order (e.g. { chain: 'FORWARD', rule: '-j kumo-forward' }). */
  jumps: { chain: string; rule: string }[];
}

export type FirewallState = Partial<Record<TableName, TableState>>;

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);
/** What a rule may hold: iptables arguments, no newlines or restore-file syntax. */
const RULE = /^[A-Za-z0-9 _.:/,=!+*"'-]+$/;

export class Iptables {
  readonly #netns: string | undefined;
  readonly #prefix: string;
  readonly #family: 4 | 6;

  constructor(opts: { netns?: string; prefix?: string; family?: 4 | 6 } = {}) {
    this.#netns = opts.netns;
    this.#prefix = opts.prefix ?? 'kumo-';
    this.#family = opts.family ?? 4;
  }

  #argv(tool: 'save' | 'restore'): string[] {
    const bin = `${this.#family === 6 ? 'ip6tables' : 'iptables'}-${tool}`;
    return this.#netns ? ['ip', 'netns', 'exec', this.#netns, bin] : [bin];
  }

  /** `iptables-save` of one table: its chains and `-A` lines. */
  async save(table: TableName): Promise<{ chains: string[]; rules: string[] }> {
    const out = (await runCommand([...this.#argv('save'), '-t', table], { timeoutMs: 30_000 })).stdout;
    const chains: string[] = [];
    const rules: string[] = [];
    for (const line of out.split('\n')) {
      if (line.startsWith(':')) chains.push(line.slice(1).split(' ')[0]!);
      else if (line.startsWith('-A ')) rules.push(line.slice(3));
    }
    return { chains, rules };
  }

  /** The restore input that turns the current tables into `state` (exported for tests and dry runs). */
  async plan(state: FirewallState): Promise<string> {
    const lines: string[] = [];
    for (const table of ['raw', 'mangle', 'nat', 'filter'] as const) {
      const want = state[table];
      if (!want) continue;
      this.#check(want);
      const have = await this.save(table);
      const ours = (chain: string) => chain.startsWith(this.#prefix);
      const stale = have.chains.filter((c) => ours(c) && !(c in want.chains));
      const oldJumps = have.rules.filter((r) => {
        const [chain] = r.split(' ');
        return BUILTIN.has(chain!) && new RegExp(`(^| )-[jg] ${escape(this.#prefix)}`).test(r);
      });
      if (Object.keys(want.chains).length === 0 && stale.length === 0 && oldJumps.length === 0) continue;
      lines.push(`*${table}`);
      // Declaring a chain with --noflush creates or flushes it: ours are rebuilt whole, stale ones emptied.
      for (const c of [...Object.keys(want.chains), ...stale]) lines.push(`:${c} - [0:0]`);
      for (const r of oldJumps) lines.push(`-D ${r}`);
      for (const [chain, rules] of Object.entries(want.chains)) for (const r of rules) lines.push(`-A ${chain} ${r}`);
      const position = new Map<string, number>();
      for (const j of want.jumps) {
        const n = (position.get(j.chain) ?? 0) + 1;
        position.set(j.chain, n);
        lines.push(`-I ${j.chain} ${n} ${j.rule}`);
      }
      for (const c of stale) lines.push(`-X ${c}`);
      lines.push('COMMIT');
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  /** Makes Kumo's rules exactly `state`, atomically per table. */
  async apply(state: FirewallState): Promise<void> {
    const input = await this.plan(state);
    if (!input) return;
    await runCommand([...this.#argv('restore'), '--noflush'], { input, timeoutMs: 30_000 });
  }

  #check(t: TableState): void {
    for (const [chain, rules] of Object.entries(t.chains)) {
      if (!chain.startsWith(this.#prefix) || !/^[A-Za-z0-9_.-]{1,28}$/.test(chain)) {
        throw new Error(`chain ${JSON.stringify(chain)} is not one of ours (prefix ${this.#prefix}, at most 28 characters)`);
      }
      for (const r of rules) if (!RULE.test(r)) throw new Error(`rule ${JSON.stringify(r)} has characters iptables-restore would misread`);
    }
    for (const j of t.jumps) {
      if (!BUILTIN.has(j.chain)) throw new Error(`jumps start from built-in chains, not ${j.chain}`);
      if (!RULE.test(j.rule) || !new RegExp(`(^| )-[jg] ${escape(this.#prefix)}`).test(j.rule)) {
        throw new Error(`jump ${JSON.stringify(j.rule)} must go to one of our chains`);
      }
    }
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
