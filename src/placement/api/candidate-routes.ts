import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Microversion } from '../../lib/http/microversion.js';
import { capacityOf } from '../domain/models.js';
import type { PlacementServices } from '../domain/placement-services.js';
import { type RequestGroup, badValue, isUuid, parseMemberOf, parseResources, parseTraits } from '../domain/request-groups.js';
import { enforce, mv, normalizeUuid, requireVersion } from './route-helpers.js';

const GROUP_KEY = /^(resources|required|member_of|in_tree)(.*)$/;

interface ParsedQuery {
  groups: RequestGroup[];
  isolate: boolean;
  limit?: number;
  rootRequired?: { required: string[][]; forbidden: string[] };
  sameSubtree: string[][];
}

/** Parses the request groups of GET /allocation_candidates as the microversion allows them. */
export function parseCandidateQuery(req: FastifyRequest): ParsedQuery {
  const v = mv(req);
  const groups = new Map<string, RequestGroup>();
  const group = (suffix: string): RequestGroup => {
    let g = groups.get(suffix);
    if (!g) {
      g = { suffix, resources: new Map(), required: [], forbidden: [], memberOf: [], forbiddenAggregates: [] };
      groups.set(suffix, g);
    }
    return g;
  };
  const out: ParsedQuery = { groups: [], isolate: false, sameSubtree: [] };
  let policy: string | undefined;
  const since: Record<string, string> = { resources: '1.10', required: '1.17', member_of: '1.21', in_tree: '1.31' };
  for (const [key, raw] of Object.entries((req.query ?? {}) as Record<string, string | string[] | undefined>)) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    const single = (): string => {
      if (values.length > 1) throw badValue(`Query parameter '${key}' is allowed only once.`);
      return values[0]!;
    };
    if (key === 'limit' && v.atLeast('1.16')) {
      const n = Number(single());
      if (!/^\d+$/.test(single()) || n < 1)
        throw badValue(`Invalid query string parameters: limit must be a positive integer. Got: ${single()}`);
      out.limit = n;
      continue;
    }
    if (key === 'group_policy' && v.atLeast('1.25')) {
      policy = single();
      if (policy !== 'none' && policy !== 'isolate')
        throw badValue(`Invalid query string parameters: group_policy must be 'none' or 'isolate'. Got: ${policy}`);
      continue;
    }
    if (key === 'root_required' && v.atLeast('1.35')) {
      out.rootRequired = parseTraits(values, v, 'root_required');
      continue;
    }
    if (key === 'same_subtree' && v.atLeast('1.36')) {
      for (const s of values) out.sameSubtree.push(s.split(','));
      continue;
    }
    const m = GROUP_KEY.exec(key);
    const kind = m?.[1];
    const suffix = m?.[2] ?? '';
    const suffixOk =
      suffix === '' || (v.atLeast('1.33') ? /^[a-zA-Z0-9_-]{1,64}$/.test(suffix) : v.atLeast('1.25') && /^[1-9][0-9]*$/.test(suffix));
    if (!kind || !v.atLeast(since[kind]!) || !suffixOk) {
      throw badValue(`Invalid query string parameters: Additional properties are not allowed ('${key}' was unexpected)`);
    }
    const g = group(suffix);
    if (kind === 'resources') g.resources = parseResources(single(), key);
    else if (kind === 'required') {
      const t = parseTraits(values, v, key);
      g.required.push(...t.required);
      g.forbidden.push(...t.forbidden);
    } else if (kind === 'member_of') {
      const a = parseMemberOf(values, v);
      g.memberOf.push(...a.memberOf);
      g.forbiddenAggregates.push(...a.forbidden);
    } else {
      const t = single();
      if (!isUuid(t)) throw badValue(`Invalid uuid value: ${t}`);
      g.inTree = normalizeUuid(t);
    }
  }
  for (const g of groups.values()) {
    if (g.resources.size > 0) continue;
    if (g.suffix !== '') throw badValue(`All request groups must have resources: 'resources${g.suffix}' is missing.`);
    if (groups.size === 1) throw badValue("Invalid query string parameters: 'resources' is a required property");
  }
  if (groups.size === 0) throw badValue("Invalid query string parameters: 'resources' is a required property");
  const numbered = [...groups.values()].filter((g) => g.suffix !== '');
  if (numbered.length > 1 && policy === undefined) {
    throw badValue('The "group_policy" parameter is required when specifying more than one "resources{N}" parameter.');
  }
  out.isolate = policy === 'isolate';
  // An unsuffixed group with only traits/aggregates but no resources applies to nothing we allocate.
  out.groups = [...groups.values()].filter((g) => g.resources.size > 0 || g.suffix !== '');
  const known = new Set(groups.keys());
  for (const s of out.sameSubtree)
    for (const suffix of s) if (!known.has(suffix)) throw badValue(`Real suffixes should be specified in same_subtree: ${suffix}`);
  return out;
}

/** GET /allocation_candidates (1.10+), shaped by microversion. */
export function registerCandidateRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, candidates } = svc;

  app.get('/allocation_candidates', async (req) => {
    requireVersion(req, '1.10');
    enforce(policy, req, 'placement:allocation_candidates:list');
    const v = mv(req);
    const q = parseCandidateQuery(req);
    const named = [
      ...q.groups.flatMap((g) => [...g.required.flat(), ...g.forbidden]),
      ...(q.rootRequired ? [...q.rootRequired.required.flat(), ...q.rootRequired.forbidden] : []),
    ];
    const unknown: string[] = [];
    for (const t of new Set(named)) if (!(await svc.traits.exists(t))) unknown.push(t);
    if (unknown.length > 0) throw badValue(`No such trait(s): ${unknown.join(', ')}`);
    const result = await candidates.find(q.groups, {
      isolate: q.isolate,
      limit: q.limit,
      rootRequired: q.rootRequired,
      sameSubtree: q.sameSubtree,
    });
    return renderCandidates(v, q, result);
  });
}

function renderCandidates(
  v: Microversion,
  q: ParsedQuery,
  result: Awaited<ReturnType<PlacementServices['candidates']['find']>>,
): Record<string, unknown> {
  const requested = new Set(q.groups.flatMap((g) => [...g.resources.keys()]));
  const allocation_requests = result.candidates.map((c) => {
    const req: Record<string, unknown> = {};
    if (v.atLeast('1.12')) {
      req.allocations = Object.fromEntries([...c.allocations].map(([rp, a]) => [rp, { resources: Object.fromEntries(a) }]));
    } else {
      req.allocations = [...c.allocations].map(([rp, a]) => ({ resource_provider: { uuid: rp }, resources: Object.fromEntries(a) }));
    }
    if (v.atLeast('1.34')) req.mappings = Object.fromEntries(c.mappings);
    return req;
  });
  const inRequests = new Set(result.candidates.flatMap((c) => [...c.allocations.keys()]));
  const provider_summaries: Record<string, unknown> = {};
  for (const s of result.summaries) {
    if (!v.atLeast('1.29') && !inRequests.has(s.provider.uuid)) continue;
    const resources: Record<string, { capacity: number; used: number }> = {};
    for (const [rc, inv] of s.inventories) {
      if (!v.atLeast('1.27') && !requested.has(rc)) continue;
      resources[rc] = { capacity: capacityOf(inv), used: s.usage.get(rc) ?? 0 };
    }
    const summary: Record<string, unknown> = { resources };
    if (v.atLeast('1.17')) summary.traits = [...s.traits].sort();
    if (v.atLeast('1.29')) {
      summary.parent_provider_uuid = s.provider.parentUuid;
      summary.root_provider_uuid = s.provider.rootUuid;
    }
    provider_summaries[s.provider.uuid] = summary;
  }
  return { allocation_requests, provider_summaries };
}
