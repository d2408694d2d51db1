import type { FastifyInstance, FastifyRequest } from 'fastify';
import { conflict } from '../../lib/errors.js';
import type { Inventory } from '../domain/models.js';
import { MAX_INT } from '../domain/models.js';
import type { PlacementServices } from '../domain/placement-services.js';
import type { InventoryInput } from '../domain/provider-service.js';
import { enforce, mv, noContent, requireVersion, validBody } from './route-helpers.js';

const INT = (min: number) => ({ type: 'integer', minimum: min, maximum: MAX_INT });
const GEN = { type: 'integer' };
const RC = { type: 'string', pattern: '^[A-Z0-9_]+$', maxLength: 255 };
const FIELDS = {
  resource_provider_generation: GEN,
  total: INT(1),
  reserved: INT(0),
  min_unit: INT(1),
  max_unit: INT(1),
  step_size: INT(1),
  allocation_ratio: { type: 'number', exclusiveMinimum: 0, maximum: 3.40282e38 },
};
const RECORD = { type: 'object', properties: FIELDS, required: ['total'], additionalProperties: false };
const PUT_ONE = { ...RECORD, required: ['total', 'resource_provider_generation'] };
const POST_ONE = { ...RECORD, properties: { ...FIELDS, resource_class: RC }, required: ['total', 'resource_class'] };
export const PUT_ALL = {
  type: 'object',
  properties: {
    resource_provider_generation: GEN,
    inventories: { type: 'object', patternProperties: { '^[A-Z0-9_]+$': RECORD }, additionalProperties: false },
  },
  required: ['resource_provider_generation', 'inventories'],
  additionalProperties: false,
};
const DELETE_ALL_OK = '1.5';

export function inventoryView(inv: Inventory): Record<string, number> {
  return {
    total: inv.total,
    reserved: inv.reserved,
    min_unit: inv.minUnit,
    max_unit: inv.maxUnit,
    step_size: inv.stepSize,
    allocation_ratio: inv.allocationRatio,
  };
}

const inventoriesView = (generation: number, invs: Inventory[]) => ({
  resource_provider_generation: generation,
  inventories: Object.fromEntries(invs.map((i) => [i.resourceClass, inventoryView(i)])),
});

const params = (req: FastifyRequest) => req.params as { uuid: string; resource_class: string };

export type InventoryBody = InventoryInput & { resource_provider_generation?: number; resource_class?: string };

/** /resource_providers/{uuid}/inventories[/{resource_class}]. */
export function registerInventoryRoutes(app: FastifyInstance, svc: PlacementServices): void {
  const { policy, providers } = svc;
  const base = '/resource_providers/:uuid/inventories';

  app.get(base, async (req) => {
    enforce(policy, req, 'placement:resource_providers:inventories:list');
    const { provider, inventories } = await providers.inventories(params(req).uuid);
    return inventoriesView(provider.generation, inventories);
  });

  app.put(base, async (req) => {
    enforce(policy, req, 'placement:resource_providers:inventories:update');
    const body = validBody<{ resource_provider_generation: number; inventories: Record<string, InventoryBody> }>(PUT_ALL, req.body);
    const inv = Object.fromEntries(Object.entries(body.inventories).map(([rc, i]) => [rc, stripGeneration(i)]));
    const r = await providers.setInventories(params(req).uuid, body.resource_provider_generation, inv, mv(req));
    return inventoriesView(r.provider.generation, r.inventories);
  });

  app.post(base, async (req, reply) => {
    enforce(policy, req, 'placement:resource_providers:inventories:create');
    const { uuid } = params(req);
    const body = validBody<InventoryBody>(POST_ONE, req.body);
    const rc = body.resource_class!;
    const current = await providers.inventories(uuid);
    if (current.inventories.some((i) => i.resourceClass === rc)) {
      throw conflict(`Update conflict: Inventory for ${rc} on resource provider ${uuid} already exists.`);
    }
    const gen = body.resource_provider_generation ?? current.provider.generation;
    const r = await providers.setInventories(uuid, gen, { [rc]: stripGeneration(body) }, mv(req), [rc]);
    const inv = r.inventories.find((i) => i.resourceClass === rc)!;
    return reply
      .code(201)
      .header('location', `/resource_providers/${uuid}/inventories/${rc}`)
      .send({ resource_provider_generation: r.provider.generation, ...inventoryView(inv) });
  });

  app.delete(base, async (req, reply) => {
    requireVersion(req, DELETE_ALL_OK);
    enforce(policy, req, 'placement:resource_providers:inventories:delete');
    const { provider } = await providers.inventories(params(req).uuid);
    await providers.setInventories(provider.uuid, provider.generation, {}, mv(req));
    return noContent(reply);
  });

  app.get(`${base}/:resource_class`, async (req) => {
    enforce(policy, req, 'placement:resource_providers:inventories:show');
    const { uuid, resource_class } = params(req);
    const { provider, inventory } = await providers.inventory(uuid, resource_class);
    return { resource_provider_generation: provider.generation, ...inventoryView(inventory) };
  });

  app.put(`${base}/:resource_class`, async (req) => {
    enforce(policy, req, 'placement:resource_providers:inventories:update');
    const { uuid, resource_class } = params(req);
    const body = validBody<InventoryBody>(PUT_ONE, req.body);
    // Placement only updates an inventory here; creating one is POST's job.
    await providers.inventory(uuid, resource_class);
    const r = await providers.setInventories(
      uuid,
      body.resource_provider_generation!,
      { [resource_class]: stripGeneration(body) },
      mv(req),
      [resource_class],
    );
    const inv = r.inventories.find((i) => i.resourceClass === resource_class)!;
    return { resource_provider_generation: r.provider.generation, ...inventoryView(inv) };
  });

  app.delete(`${base}/:resource_class`, async (req, reply) => {
    enforce(policy, req, 'placement:resource_providers:inventories:delete');
    const { uuid, resource_class } = params(req);
    await providers.deleteInventory(uuid, resource_class);
    return noContent(reply);
  });
}

export function stripGeneration(i: InventoryBody): InventoryInput {
  const { total, reserved, min_unit, max_unit, step_size, allocation_ratio } = i;
  return { total, reserved, min_unit, max_unit, step_size, allocation_ratio };
}
