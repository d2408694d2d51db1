import type { Transaction } from 'kysely';
import { conflict, notFound } from '../../lib/errors.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { Inventory, Provider } from '../domain/models.js';
import type { PlacementKysely } from './placement-database.js';
import type { InventoryTable, PlacementDB, ProviderTable } from './schema.js';

type Tx = Transaction<PlacementDB> | PlacementKysely;

export const providerOf = (r: ProviderTable): Provider => ({
  uuid: r.uuid,
  name: r.name,
  generation: Number(r.generation),
  parentUuid: r.parent_uuid,
  rootUuid: r.root_uuid,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const inventoryOf = (r: InventoryTable): Inventory => ({
  resourceClass: r.resource_class,
  total: Number(r.total),
  reserved: Number(r.reserved),
  minUnit: Number(r.min_unit),
  maxUnit: Number(r.max_unit),
  stepSize: Number(r.step_size),
  allocationRatio: Number(r.allocation_ratio),
});

/** The inventories row of one inventory (the inverse of inventoryOf). */
export const inventoryRow = (providerUuid: string, inv: Inventory): InventoryTable => ({
  provider_uuid: providerUuid,
  resource_class: inv.resourceClass,
  total: inv.total,
  reserved: inv.reserved,
  min_unit: inv.minUnit,
  max_unit: inv.maxUnit,
  step_size: inv.stepSize,
  allocation_ratio: inv.allocationRatio,
});

export const providerNotFound = (uuid: string): Error =>
  notFound(`No resource provider with uuid ${uuid} found`, 'placement.resource_provider.not_found');

export const generationConflict = (uuid: string): Error =>
  conflict(
    `resource provider generation conflict: the provider ${uuid} was changed by another request. Please update the generation and try again.`,
    'placement.concurrent_update',
  );

/**
 * Bumps a provider's generation if it still is `expected`: the compare-and-set
 * every provider write goes through, so concurrent writers cannot both win.
 */
export async function bumpGeneration(trx: Tx, uuid: string, expected: number): Promise<number> {
  const res = await trx
    .updateTable('resource_providers')
    .set({ generation: expected + 1, updated_at: dbTime() })
    .where('uuid', '=', uuid)
    .where('generation', '=', expected)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const exists = await trx.selectFrom('resource_providers').select('uuid').where('uuid', '=', uuid).executeTakeFirst();
    throw exists ? generationConflict(uuid) : providerNotFound(uuid);
  }
  return expected + 1;
}

/** Resource providers, their inventories, traits and aggregates. */
export class ProviderStore {
  constructor(readonly db: PlacementKysely) {}

  async get(uuid: string, trx: Tx = this.db): Promise<Provider | undefined> {
    const r = await trx.selectFrom('resource_providers').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    return r ? providerOf(r) : undefined;
  }

  async require(uuid: string, trx: Tx = this.db): Promise<Provider> {
    const p = await this.get(uuid, trx);
    if (!p) throw providerNotFound(uuid);
    return p;
  }

  async byName(name: string): Promise<Provider | undefined> {
    const r = await this.db.selectFrom('resource_providers').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? providerOf(r) : undefined;
  }

  async list(): Promise<Provider[]> {
    const rows = await this.db.selectFrom('resource_providers').selectAll().orderBy('created_at').orderBy('uuid').execute();
    return rows.map(providerOf);
  }

  async create(
    p: { uuid: string; name: string; parentUuid: string | null; rootUuid: string },
    onDuplicate: () => Error,
  ): Promise<Provider> {
    const now = dbTime();
    const row: ProviderTable = {
      uuid: p.uuid,
      name: p.name,
      generation: 0,
      parent_uuid: p.parentUuid,
      root_uuid: p.rootUuid,
      created_at: now,
      updated_at: now,
    };
    await failOnDuplicate(this.db.insertInto('resource_providers').values(row).execute(), onDuplicate);
    return providerOf(row);
  }

  /** Renames and/or reparents; a reparent moves the whole subtree to the new root. */
  async update(
    uuid: string,
    changes: { name: string; parentUuid: string | null; rootUuid: string },
    onDuplicate: () => Error,
  ): Promise<void> {
    await failOnDuplicate(
      this.db.transaction().execute(async (trx) => {
        const old = await this.require(uuid, trx);
        await trx
          .updateTable('resource_providers')
          .set({ name: changes.name, parent_uuid: changes.parentUuid, root_uuid: changes.rootUuid, updated_at: dbTime() })
          .where('uuid', '=', uuid)
          .execute();
        if (old.rootUuid !== changes.rootUuid) {
          const subtree = await this.#descendants(trx, uuid);
          if (subtree.length > 0)
            await trx.updateTable('resource_providers').set({ root_uuid: changes.rootUuid }).where('uuid', 'in', subtree).execute();
        }
      }),
      onDuplicate,
    );
  }

  async #descendants(trx: Tx, uuid: string): Promise<string[]> {
    const out: string[] = [];
    let frontier = [uuid];
    while (frontier.length > 0) {
      const rows = await trx.selectFrom('resource_providers').select('uuid').where('parent_uuid', 'in', frontier).execute();
      frontier = rows.map((r) => r.uuid).filter((u) => !out.includes(u));
      out.push(...frontier);
    }
    return out;
  }

  /** Deletes a provider with no children and no allocations (409 otherwise). */
  async delete(uuid: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const p = await this.require(uuid, trx);
      const child = await trx.selectFrom('resource_providers').select('uuid').where('parent_uuid', '=', uuid).executeTakeFirst();
      if (child) {
        throw conflict(
          `Unable to delete parent resource provider ${uuid}: It has child resource providers.`,
          'placement.resource_provider.cannot_delete_parent',
        );
      }
      const used = await trx.selectFrom('allocations').select('consumer_uuid').where('provider_uuid', '=', uuid).executeTakeFirst();
      if (used)
        throw conflict(
          `Unable to delete resource provider ${uuid}: Resource provider has allocations.`,
          'placement.resource_provider.inuse',
        );
      // The compare-and-set makes a concurrent allocation on this provider fail rather than dangle.
      await bumpGeneration(trx, uuid, p.generation);
      await trx.deleteFrom('inventories').where('provider_uuid', '=', uuid).execute();
      await trx.deleteFrom('provider_traits').where('provider_uuid', '=', uuid).execute();
      await trx.deleteFrom('provider_aggregates').where('provider_uuid', '=', uuid).execute();
      await trx.deleteFrom('resource_providers').where('uuid', '=', uuid).execute();
    });
  }

  async inventories(uuid: string, trx: Tx = this.db): Promise<Inventory[]> {
    const rows = await trx.selectFrom('inventories').selectAll().where('provider_uuid', '=', uuid).orderBy('resource_class').execute();
    return rows.map(inventoryOf);
  }

  /**
   * Replaces the provider's inventories (only those in `touch` when given),
   * checked against its generation; classes with allocations cannot go away.
   * Returns the new generation and the classes whose usage now exceeds capacity.
   */
  async setInventories(
    uuid: string,
    generation: number,
    inventories: Inventory[],
    touch?: string[],
  ): Promise<{ generation: number; exceeded: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const next = await bumpGeneration(trx, uuid, generation);
      const current = await this.inventories(uuid, trx);
      const wanted = new Map(inventories.map((i) => [i.resourceClass, i]));
      const scope = [...new Set([...(touch ?? current.map((i) => i.resourceClass)), ...wanted.keys()])];
      const usage = await usageByClass(trx, uuid);
      const removed = current.filter((i) => scope.includes(i.resourceClass) && !wanted.has(i.resourceClass)).map((i) => i.resourceClass);
      for (const rc of removed) {
        if ((usage.get(rc) ?? 0) > 0) {
          throw conflict(`update conflict: Inventory for '${rc}' on resource provider '${uuid}' in use.`, 'placement.inventory.inuse');
        }
      }
      if (scope.length > 0)
        await trx.deleteFrom('inventories').where('provider_uuid', '=', uuid).where('resource_class', 'in', scope).execute();
      const exceeded: string[] = [];
      for (const inv of wanted.values()) {
        await trx.insertInto('inventories').values(inventoryRow(uuid, inv)).execute();
        const used = usage.get(inv.resourceClass) ?? 0;
        if (used > Math.floor((inv.total - inv.reserved) * inv.allocationRatio)) exceeded.push(inv.resourceClass);
      }
      return { generation: next, exceeded };
    });
  }

  async traits(uuid: string, trx: Tx = this.db): Promise<string[]> {
    const rows = await trx.selectFrom('provider_traits').select('trait').where('provider_uuid', '=', uuid).orderBy('trait').execute();
    return rows.map((r) => r.trait);
  }

  async setTraits(uuid: string, generation: number, traits: string[]): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const next = await bumpGeneration(trx, uuid, generation);
      await trx.deleteFrom('provider_traits').where('provider_uuid', '=', uuid).execute();
      if (traits.length > 0)
        await trx
          .insertInto('provider_traits')
          .values(traits.map((trait) => ({ provider_uuid: uuid, trait })))
          .execute();
      return next;
    });
  }

  async aggregates(uuid: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('provider_aggregates')
      .select('aggregate_uuid')
      .where('provider_uuid', '=', uuid)
      .orderBy('aggregate_uuid')
      .execute();
    return rows.map((r) => r.aggregate_uuid);
  }

  /** Replaces aggregates; `generation` undefined (before 1.19) means unconditional, still bumping. */
  async setAggregates(uuid: string, generation: number | undefined, aggregates: string[]): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const gen = generation ?? (await this.require(uuid, trx)).generation;
      const next = await bumpGeneration(trx, uuid, gen);
      await trx.deleteFrom('provider_aggregates').where('provider_uuid', '=', uuid).execute();
      if (aggregates.length > 0) {
        await trx
          .insertInto('provider_aggregates')
          .values(aggregates.map((a) => ({ provider_uuid: uuid, aggregate_uuid: a })))
          .execute();
      }
      return next;
    });
  }

  /** Whether any provider has this trait (a trait in use cannot be deleted). */
  async traitInUse(trait: string): Promise<boolean> {
    return Boolean(await this.db.selectFrom('provider_traits').select('trait').where('trait', '=', trait).executeTakeFirst());
  }

  async classInUse(rc: string): Promise<boolean> {
    const inv = await this.db.selectFrom('inventories').select('resource_class').where('resource_class', '=', rc).executeTakeFirst();
    if (inv) return true;
    return Boolean(await this.db.selectFrom('allocations').select('resource_class').where('resource_class', '=', rc).executeTakeFirst());
  }
}

/** What is allocated of each class on one provider. */
export async function usageByClass(trx: Tx, uuid: string): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom('allocations')
    .select(['resource_class', (eb) => eb.fn.sum<number | string>('used').as('used')])
    .where('provider_uuid', '=', uuid)
    .groupBy('resource_class')
    .execute();
  return new Map(rows.map((r) => [r.resource_class, Number(r.used)]));
}
