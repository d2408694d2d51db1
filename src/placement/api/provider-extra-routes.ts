import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PlacementServices } from '../domain/placement-services.js';
import { badValue } from '../domain/request-groups.js';
import { UUID_PATTERN, enforce, mv, normalizeUuid, queryOf, requireVersion, validBody } from './route-helpers.js';

const AGG_LIST = { type: 'array', items: { type: 'string', pattern: UUID_PATTERN }, uniqueItems: true };
const AGG_1_19 = {
  type: 'object',
  properties: { aggregates: AGG_LIST, resource_provider_generation: { type: 'integer' } },
  required: ['aggregates', 'resource_provider_generation'],
  additionalProperties: false,
};

const uuidOf = (req: FastifyRequest) => (req.params as { uuid: string }).uuid;

/** Provider aggregates and usages, and the project usage report. */
export function registerProviderExtraRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, providers, allocations } = svc;

  const aggregatesView = (req: FastifyRequest, r: { provider: { generation: number }; aggregates: string[] }) =>
    mv(req).atLeast('1.19')
      ? { aggregates: r.aggregates, resource_provider_generation: r.provider.generation }
      : { aggregates: r.aggregates };

  app.get('/resource_providers/:uuid/aggregates', async (req) => {
    requireVersion(req, '1.1');
    enforce(policy, req, 'placement:resource_providers:aggregates:list');
    return aggregatesView(req, await providers.aggregates(uuidOf(req)));
  });

  app.put('/resource_providers/:uuid/aggregates', async (req) => {
    requireVersion(req, '1.1');
    enforce(policy, req, 'placement:resource_providers:aggregates:update');
    let aggregates: string[];
    let generation: number | undefined;
    if (mv(req).atLeast('1.19')) {
      const body = validBody<{ aggregates: string[]; resource_provider_generation: number }>(AGG_1_19, req.body);
      aggregates = body.aggregates;
      generation = body.resource_provider_generation;
    } else {
      aggregates = validBody<string[]>(AGG_LIST, req.body);
    }
    return aggregatesView(req, await providers.setAggregates(uuidOf(req), generation, aggregates.map(normalizeUuid)));
  });

  app.get('/resource_providers/:uuid/usages', async (req) => {
    enforce(policy, req, 'placement:resource_providers:usages');
    const { provider, usages } = await providers.usages(uuidOf(req));
    return { resource_provider_generation: provider.generation, usages: Object.fromEntries(usages) };
  });

  app.get('/usages', async (req) => {
    requireVersion(req, '1.9');
    enforce(policy, req, 'placement:usages');
    const v = mv(req);
    const q = queryOf(req, (k) => k === 'project_id' || k === 'user_id' || (k === 'consumer_type' && v.atLeast('1.38')));
    const projectId = q.get('project_id')?.[0];
    if (projectId === undefined) throw badValue("Invalid query string parameters: 'project_id' is a required property");
    const rows = await allocations.projectUsage(projectId, q.get('user_id')?.[0]);
    if (!v.atLeast('1.38')) {
      const usages: Record<string, number> = {};
      for (const r of rows) usages[r.resourceClass] = (usages[r.resourceClass] ?? 0) + r.used;
      return { usages };
    }
    // 1.38: grouped by consumer type; "all" folds every type together, "unknown" is consumers without one.
    const wanted = q.get('consumer_type')?.[0];
    const usages: Record<string, Record<string, number>> = {};
    const consumers = new Map<string, Set<string>>();
    for (const r of rows) {
      const type = r.consumerType ?? 'unknown';
      if (wanted !== undefined && wanted !== 'all' && wanted !== type) continue;
      const key = wanted === 'all' ? 'all' : type;
      const u = (usages[key] ??= {});
      u[r.resourceClass] = (u[r.resourceClass] ?? 0) + r.used;
      const set = consumers.get(key) ?? new Set<string>();
      set.add(r.consumerUuid);
      consumers.set(key, set);
    }
    for (const [k, set] of consumers) usages[k]!.consumer_count = set.size;
    return { usages };
  });
}
