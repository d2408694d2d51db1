import type { AllocationStore, ProviderSnapshot } from '../store/allocation-store.js';
import { type RequestGroup, satisfies } from './request-groups.js';

export interface Candidate {
  /** provider → class → amount */
  allocations: Map<string, Map<string, number>>;
  /** group suffix ("" for the unsuffixed group) → providers that satisfied it */
  mappings: Map<string, string[]>;
}

export interface CandidateResult {
  candidates: Candidate[];
  /** Every provider of the trees that appear in a candidate. */
  summaries: ProviderSnapshot[];
}

export interface CandidateOptions {
  isolate: boolean;
  limit?: number;
  /** Traits the root provider of a tree must (not) have (1.35). */
  rootRequired?: { required: string[][]; forbidden: string[] };
  /** Groups of suffixes whose providers must share one subtree (1.36). */
  sameSubtree?: string[][];
}

const traitsMatch = (have: Set<string>, t: { required: string[][]; forbidden: string[] }): boolean =>
  t.required.every((any) => any.some((x) => have.has(x))) && !t.forbidden.some((x) => have.has(x));

/** True when one of `uuids` is an ancestor (or itself) of all the others. */
function sameSubtree(uuids: string[], parents: Map<string, string | null>): boolean {
  const ancestors = (u: string): Set<string> => {
    const out = new Set<string>();
    for (let cur: string | null | undefined = u; cur; cur = parents.get(cur)) out.add(cur);
    return out;
  };
  return uuids.length === 0 || uuids.some((top) => uuids.every((u) => ancestors(u).has(top)));
}

/** Upper bound on combinations examined per tree, so a pathological query cannot spin. */
const MAX_COMBINATIONS = 10000;

/**
 * Allocation candidates: every request group is satisfied by one provider of
 * a tree (the unsuffixed group included), with `isolate` keeping numbered
 * groups on distinct providers. Shared providers are not considered.
 */
export class CandidateService {
  constructor(private readonly allocations: AllocationStore) {}

  async find(groups: RequestGroup[], opts: CandidateOptions): Promise<CandidateResult> {
    const snap = await this.allocations.snapshot();
    const roots = new Map([...snap.values()].map((p) => [p.provider.uuid, p.provider.rootUuid]));
    const trees = new Map<string, ProviderSnapshot[]>();
    for (const p of snap.values()) {
      const t = trees.get(p.provider.rootUuid) ?? [];
      t.push(p);
      trees.set(p.provider.rootUuid, t);
    }
    // The unsuffixed group may spread over a tree, one provider per class (as placement does);
    // its traits are then required of the providers it used, taken together.
    const unsuffixed = groups.find((g) => g.suffix === '');
    const expanded = unsuffixed
      ? [
          ...[...unsuffixed.resources].map(([rc, n]): RequestGroup => ({
            ...unsuffixed,
            resources: new Map([[rc, n]]),
            required: [],
            forbidden: [],
          })),
          ...groups.filter((g) => g !== unsuffixed),
        ]
      : groups;
    const treeTraits = unsuffixed ? { required: unsuffixed.required, forbidden: unsuffixed.forbidden } : undefined;
    const candidates: Candidate[] = [];
    for (const [root, members] of trees) {
      const rootSnap = snap.get(root);
      if (opts.rootRequired && rootSnap && !traitsMatch(rootSnap.traits, opts.rootRequired)) continue;
      const parents = new Map(members.map((p) => [p.provider.uuid, p.provider.parentUuid]));
      const bySnap = new Map(members.map((p) => [p.provider.uuid, p]));
      const found = this.#inTree(members, expanded, roots, opts.isolate).filter(
        (c) =>
          (!treeTraits ||
            traitsMatch(new Set((c.mappings.get('') ?? []).flatMap((u) => [...(bySnap.get(u)?.traits ?? [])])), treeTraits)) &&
          (opts.sameSubtree ?? []).every((suffixes) =>
            sameSubtree(
              suffixes.flatMap((s) => c.mappings.get(s) ?? []),
              parents,
            ),
          ),
      );
      candidates.push(...found);
      if (opts.limit !== undefined && candidates.length >= opts.limit) break;
    }
    const chosen = opts.limit !== undefined ? candidates.slice(0, opts.limit) : candidates;
    const keepTrees = new Set<string>();
    for (const c of chosen) for (const rp of c.allocations.keys()) keepTrees.add(roots.get(rp)!);
    return { candidates: chosen, summaries: [...snap.values()].filter((p) => keepTrees.has(p.provider.rootUuid)) };
  }

  #inTree(members: ProviderSnapshot[], groups: RequestGroup[], roots: Map<string, string>, isolate: boolean): Candidate[] {
    const out: Candidate[] = [];
    const seen = new Set<string>();
    let steps = 0;
    const pick = (i: number, chosen: ProviderSnapshot[], taken: Map<string, Map<string, number>>): void => {
      if (++steps > MAX_COMBINATIONS) return;
      if (i === groups.length) {
        const allocations = new Map<string, Map<string, number>>();
        const mappings = new Map<string, string[]>();
        chosen.forEach((p, gi) => {
          const g = groups[gi]!;
          const m = mappings.get(g.suffix) ?? [];
          if (!m.includes(p.provider.uuid)) m.push(p.provider.uuid);
          mappings.set(g.suffix, m);
          if (g.resources.size === 0) return;
          const a = allocations.get(p.provider.uuid) ?? new Map<string, number>();
          for (const [rc, n] of g.resources) a.set(rc, (a.get(rc) ?? 0) + n);
          allocations.set(p.provider.uuid, a);
        });
        if (allocations.size === 0) return;
        const key = JSON.stringify([...allocations].map(([rp, a]) => [rp, [...a].sort()]).sort());
        if (!seen.has(key)) {
          seen.add(key);
          out.push({ allocations, mappings });
        }
        return;
      }
      const g = groups[i]!;
      for (const p of members) {
        // Numbered groups under `isolate` must land on distinct providers.
        if (isolate && g.suffix !== '' && chosen.some((c, ci) => groups[ci]!.suffix !== '' && c === p)) continue;
        const extra = taken.get(p.provider.uuid);
        if (!satisfies(p, g, roots, extra)) continue;
        const next = new Map(taken);
        const sum = new Map(extra ?? []);
        for (const [rc, n] of g.resources) sum.set(rc, (sum.get(rc) ?? 0) + n);
        next.set(p.provider.uuid, sum);
        pick(i + 1, [...chosen, p], next);
      }
    };
    pick(0, [], new Map());
    return out;
  }
}
