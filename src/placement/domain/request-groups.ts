import { KumoError } from '../../lib/errors.js';
import type { Microversion } from '../../lib/http/microversion.js';
import type { ProviderSnapshot } from '../store/allocation-store.js';
import { type Inventory, capacityOf } from './models.js';

/** One group of a request: what a single provider must offer and be. */
export interface RequestGroup {
  suffix: string;
  resources: Map<string, number>;
  /** Each inner list is "any of" (`in:A,B`); all lists must match. */
  required: string[][];
  forbidden: string[];
  memberOf: string[][];
  forbiddenAggregates: string[];
  inTree?: string;
}

export const badValue = (message: string): KumoError => new KumoError('placement.query.bad_value', 400, message);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

/** `VCPU:2,MEMORY_MB:1024` → map; 400 on anything else. */
export function parseResources(text: string, name = 'resources'): Map<string, number> {
  const out = new Map<string, number>();
  const bad = () =>
    badValue(
      `Badly formed ${name} parameter. Expected ${name} query string parameter in form: ?${name}=VCPU:2,MEMORY_MB:1024. Got: ${text}.`,
    );
  if (text.trim() === '') throw bad();
  for (const part of text.split(',')) {
    const m = /^([A-Z0-9_]+):(\d+)$/.exec(part.trim());
    if (!m) throw bad();
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n)) throw bad();
    if (n < 1) throw badValue(`Requested resource ${m[1]} expected positive integer amount. Got: ${n}.`);
    if (out.has(m[1]!)) throw badValue(`Resource class ${m[1]} appears more than once in the ${name} parameter.`);
    out.set(m[1]!, n);
  }
  return out;
}

/** `A,!B` (1.22 forbidden) and `in:A,B` (1.39 any-of), repeated params are ANDed. */
export function parseTraits(values: string[], mv: Microversion, name = 'required'): { required: string[][]; forbidden: string[] } {
  const required: string[][] = [];
  const forbidden: string[] = [];
  for (const v of values) {
    if (v.startsWith('in:')) {
      if (!mv.atLeast('1.39'))
        throw badValue(`Invalid query string parameters: The format 'in:' in the ${name} parameter requires microversion 1.39.`);
      const any = v.slice(3).split(',');
      if (any.some((t) => !/^[A-Z0-9_]+$/.test(t))) throw badValue(`Invalid trait names in ${name}: ${v}`);
      required.push(any);
      continue;
    }
    for (const t of v.split(',')) {
      const neg = t.startsWith('!');
      const trait = neg ? t.slice(1) : t;
      if (neg && !mv.atLeast('1.22'))
        throw badValue(
          `Invalid query string parameters: Expected '${name}' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${v}`,
        );
      if (!/^[A-Z0-9_]+$/.test(trait))
        throw badValue(
          `Invalid query string parameters: Expected '${name}' parameter value of the form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got: ${v}`,
        );
      if (neg) forbidden.push(trait);
      else required.push([trait]);
    }
  }
  const all = new Set(required.flat());
  const both = forbidden.filter((t) => all.has(t));
  if (both.length > 0) throw badValue(`Conflicting required and forbidden traits found in the following traits keys: ${both.join(', ')}`);
  return { required, forbidden };
}

/** `in:a,b` (any of, 1.3), plain `a` (1.3), `!a` / `!in:a,b` (1.32 forbidden). */
export function parseMemberOf(values: string[], mv: Microversion): { memberOf: string[][]; forbidden: string[] } {
  const memberOf: string[][] = [];
  const forbidden: string[] = [];
  for (const v of values) {
    let text = v;
    const neg = text.startsWith('!');
    if (neg) {
      if (!mv.atLeast('1.32')) throw badValue(`Forbidden member_of parameters are not supported in the specified microversion`);
      text = text.slice(1);
    }
    if (text.startsWith('in:')) text = text.slice(3);
    else if (text.includes(',') && !neg)
      throw badValue(`Expected 'member_of' parameter to contain valid UUID(s): multiple values need the 'in:' prefix. Got: ${v}`);
    const uuids = text.split(',');
    if (uuids.some((u) => !isUuid(u))) throw badValue(`Expected 'member_of' parameter to contain valid UUID(s). Got: ${v}`);
    if (neg) forbidden.push(...uuids);
    else memberOf.push(uuids);
  }
  return { memberOf, forbidden };
}

/** Why an inventory cannot give `amount`, or undefined when it can. */
export function fits(inv: Inventory | undefined, used: number, amount: number): boolean {
  if (!inv) return false;
  if (amount < inv.minUnit || amount > inv.maxUnit || amount % inv.stepSize !== 0) return false;
  return used + amount <= capacityOf(inv);
}

/** Whether a provider's own traits and aggregates satisfy the group (resources aside). */
export function qualifies(p: ProviderSnapshot, g: RequestGroup, roots: Map<string, string>): boolean {
  if (g.inTree !== undefined && p.provider.rootUuid !== roots.get(g.inTree)) return false;
  if (!g.required.every((any) => any.some((t) => p.traits.has(t)))) return false;
  if (g.forbidden.some((t) => p.traits.has(t))) return false;
  if (!g.memberOf.every((any) => any.some((a) => p.aggregates.has(a)))) return false;
  if (g.forbiddenAggregates.some((a) => p.aggregates.has(a))) return false;
  return true;
}

/** Whether a provider alone can give the whole group on top of `extra` already taken from it. */
export function satisfies(p: ProviderSnapshot, g: RequestGroup, roots: Map<string, string>, extra?: Map<string, number>): boolean {
  if (!qualifies(p, g, roots)) return false;
  for (const [rc, n] of g.resources) {
    if (!fits(p.inventories.get(rc), (p.usage.get(rc) ?? 0) + (extra?.get(rc) ?? 0), n)) return false;
  }
  return true;
}
