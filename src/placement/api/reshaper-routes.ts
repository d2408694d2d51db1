import type { FastifyInstance } from 'fastify';
import type { Microversion } from '../../lib/http/microversion.js';
import type { PlacementServices } from '../domain/placement-services.js';
import { type ConsumerBody, claimOf, consumerSchema } from './allocation-routes.js';
import { type InventoryBody, PUT_ALL, stripGeneration } from './inventory-routes.js';
import { UUID_PATTERN, enforce, mv, noContent, normalizeUuid, requireVersion, validBody } from './route-helpers.js';

const schemas = new Map<string, object>();
function reshaperSchema(v: Microversion): object {
  const key = v.toString();
  let s = schemas.get(key);
  if (!s) {
    s = {
      type: 'object',
      properties: {
        inventories: { type: 'object', patternProperties: { [UUID_PATTERN]: PUT_ALL }, additionalProperties: false },
        allocations: { type: 'object', patternProperties: { [UUID_PATTERN]: consumerSchema(v, true) }, additionalProperties: false },
      },
      required: ['inventories', 'allocations'],
      additionalProperties: false,
    };
    schemas.set(key, s);
  }
  return s;
}

interface ReshaperBody {
  inventories: Record<string, { resource_provider_generation: number; inventories: Record<string, InventoryBody> }>;
  allocations: Record<string, ConsumerBody>;
}

/** POST /reshaper (1.30): move inventory and allocations between providers in one step. */
export function registerReshaperRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, providers, allocations } = svc;

  app.post('/reshaper', async (req, reply) => {
    requireVersion(req, '1.30');
    enforce(policy, req, 'placement:reshaper:reshape');
    const v = mv(req);
    const body = validBody<ReshaperBody>(reshaperSchema(v), req.body);
    const inventories = [];
    for (const [rp, entry] of Object.entries(body.inventories)) {
      const uuid = normalizeUuid(rp);
      const input = Object.fromEntries(Object.entries(entry.inventories).map(([rc, i]) => [rc, stripGeneration(i)]));
      inventories.push({
        uuid,
        generation: entry.resource_provider_generation,
        inventories: await providers.validateInventories(uuid, input, v),
      });
    }
    const claims = Object.entries(body.allocations).map(([consumer, b]) => claimOf(normalizeUuid(consumer), b, v));
    await allocations.reshape(inventories, claims);
    return noContent(reply);
  });
}
