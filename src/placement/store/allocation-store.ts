import { KumoError, conflict } from '../../lib/errors.js';
import { isUniqueViolation } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { AllocationRow, Consumer, ConsumerClaim, Inventory, Provider } from '../domain/models.js';
import type { Transaction } from 'kysely';
import type { PlacementKysely } from './placement-database.js';
import type { PlacementDB } from './schema.js';
import { bumpGeneration, inventoryOf, inventoryRow, providerOf, usageByClass } from './provider-store.js';

/** Everything the candidate search reads, loaded in one go. */
export interface ProviderSnapshot {
  provider: Provider;
  inventories: Map<string, Inventory>;
  usage: Map<string, number>;
  traits: Set<string>;
  aggregates: Set<string>;
}

/** An allocation request the store cannot satisfy: the domain's 400 or 409. */
export class ClaimError extends Error {
  constructor(
    readonly kind: 'no_provider' | 'no_inventory' | 'capacity' | 'constraints' | 'provider_race',
    message: string,
  ) {
    super(message);
  }
}

const consumerConflict = (message: string): Error => conflict(message, 'placement.concurrent_update');

/** Consumers and their allocations, written atomically with provider generation checks. */
export class AllocationStore {
  constructor(private readonly db: PlacementKysely) {}

  async consumer(uuid: string): Promise<Consumer | undefined> {
    const r = await this.db.selectFrom('consumers').selectAll().where('uuid', '=', uuid).executeTakeFirst();
    return r
      ? { uuid: r.uuid, projectId: r.project_id, userId: r.user_id, consumerType: r.consumer_type, generation: Number(r.generation) }
      : undefined;
  }

  byConsumer(uuid: string): Promise<AllocationRow[]> {
    return this.allocationsBy('consumer_uuid', uuid, 'provider_uuid');
  }

  byProvider(uuid: string): Promise<AllocationRow[]> {
    return this.allocationsBy('provider_uuid', uuid, 'consumer_uuid');
  }

  private async allocationsBy(
    key: 'consumer_uuid' | 'provider_uuid',
    uuid: string,
    then: 'consumer_uuid' | 'provider_uuid',
  ): Promise<AllocationRow[]> {
    const rows = await this.db
      .selectFrom('allocations')
      .selectAll()
      .where(key, '=', uuid)
      .orderBy(then)
      .orderBy('resource_class')
      .execute();
    return rows.map((r) => ({
      consumerUuid: r.consumer_uuid,
      providerUuid: r.provider_uuid,
      resourceClass: r.resource_class,
      used: Number(r.used),
    }));
  }

  usage(providerUuid: string): Promise<Map<string, number>> {
    return usageByClass(this.db, providerUuid);
  }

  /** Usage of a project (and user), per consumer type. */
  async projectUsage(
    projectId: string,
    userId?: string,
  ): Promise<{ consumerType: string | null; consumerUuid: string; resourceClass: string; used: number }[]> {
    let q = this.db
      .selectFrom('allocations')
      .innerJoin('consumers', 'consumers.uuid', 'allocations.consumer_uuid')
      .select(['consumers.consumer_type', 'allocations.consumer_uuid', 'allocations.resource_class', 'allocations.used'])
      .where('consumers.project_id', '=', projectId);
    if (userId !== undefined) q = q.where('consumers.user_id', '=', userId);
    const rows = await q.execute();
    return rows.map((r) => ({
      consumerType: r.consumer_type,
      consumerUuid: r.consumer_uuid,
      resourceClass: r.resource_class,
      used: Number(r.used),
    }));
  }

  /**
   * Replaces the allocations of every consumer in `claims` at once. Every
   * provider touched gets its generation compare-and-set in the same
   * transaction, so two claims racing for the last room cannot both commit.
   */
  async replace(claims: ConsumerClaim[]): Promise<void> {
    try {
      await this.db.transaction().execute((trx) => this.#replaceIn(trx, claims));
    } catch (e) {
      if (isDeadlock(e)) throw new ClaimError('provider_race', 'deadlock detected');
      // Two first claims for one consumer: the loser's insert hits the primary key.
      if (isUniqueViolation(e)) throw consumerConflict('consumer generation conflict - the consumer was created by another request');
      throw e;
    }
  }

  /**
   * Reshaper (1.30): new inventories for some providers and new allocations for
   * some consumers, in one transaction; inventory may only vanish where the
   * final allocations no longer use it.
   */
  async reshape(inventories: { uuid: string; generation: number; inventories: Inventory[] }[], claims: ConsumerClaim[]): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const p of inventories) {
          try {
            await bumpGeneration(trx, p.uuid, p.generation);
          } catch (e) {
            if (e instanceof KumoError && e.code === 'placement.resource_provider.not_found')
              throw new ClaimError('no_provider', e.message);
            throw e;
          }
          await trx.deleteFrom('inventories').where('provider_uuid', '=', p.uuid).execute();
          for (const inv of p.inventories) {
            await trx.insertInto('inventories').values(inventoryRow(p.uuid, inv)).execute();
          }
        }
        await this.#replaceIn(trx, claims);
        for (const p of inventories) {
          const have = new Set(p.inventories.map((i) => i.resourceClass));
          for (const rc of (await usageByClass(trx, p.uuid)).keys()) {
            if (!have.has(rc))
              throw conflict(
                `update conflict: Inventory for '${rc}' on resource provider '${p.uuid}' in use.`,
                'placement.inventory.inuse',
              );
          }
        }
      });
    } catch (e) {
      if (isDeadlock(e)) throw new ClaimError('provider_race', 'deadlock detected');
      if (isUniqueViolation(e)) throw consumerConflict('consumer generation conflict - the consumer was created by another request');
      throw e;
    }
  }

  async #replaceIn(trx: Transaction<PlacementDB>, claims: ConsumerClaim[]): Promise<void> {
    const touched = new Map<string, number>();
    for (const c of claims) {
      const existing = await trx.selectFrom('consumers').selectAll().where('uuid', '=', c.consumerUuid).executeTakeFirst();
      if (c.consumerGeneration !== undefined) {
        const have = existing ? Number(existing.generation) : null;
        if (have !== c.consumerGeneration) {
          throw consumerConflict(
            `consumer generation conflict - expected ${JSON.stringify(c.consumerGeneration)} but got ${JSON.stringify(have)}`,
          );
        }
      }
      const old = await trx.selectFrom('allocations').select('provider_uuid').where('consumer_uuid', '=', c.consumerUuid).execute();
      for (const o of old) touched.set(o.provider_uuid, -1);
      await trx.deleteFrom('allocations').where('consumer_uuid', '=', c.consumerUuid).execute();
      const now = dbTime();
      if (Object.keys(c.allocations).length === 0) {
        await trx.deleteFrom('consumers').where('uuid', '=', c.consumerUuid).execute();
        continue;
      }
      if (existing) {
        const res = await trx
          .updateTable('consumers')
          .set({
            generation: Number(existing.generation) + 1,
            project_id: c.projectId,
            user_id: c.userId,
            consumer_type: c.consumerType,
            updated_at: now,
          })
          .where('uuid', '=', c.consumerUuid)
          .where('generation', '=', Number(existing.generation))
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) throw consumerConflict(`consumer ${c.consumerUuid} was changed by another request`);
      } else {
        await trx
          .insertInto('consumers')
          .values({
            uuid: c.consumerUuid,
            project_id: c.projectId,
            user_id: c.userId,
            consumer_type: c.consumerType,
            generation: 1,
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      for (const [rp, resources] of Object.entries(c.allocations)) {
        const prow = await trx.selectFrom('resource_providers').selectAll().where('uuid', '=', rp).executeTakeFirst();
        if (!prow) throw new ClaimError('no_provider', `Allocation for resource provider '${rp}' that does not exist.`);
        touched.set(rp, Number(prow.generation));
        for (const [rc, used] of Object.entries(resources)) {
          await trx
            .insertInto('allocations')
            .values({ consumer_uuid: c.consumerUuid, provider_uuid: rp, resource_class: rc, used })
            .execute();
        }
      }
    }
    // Capacity is checked once every claim is in, so moves between consumers (POST /allocations) net out.
    for (const c of claims) {
      for (const [rp, resources] of Object.entries(c.allocations)) {
        const invs = new Map(
          (await trx.selectFrom('inventories').selectAll().where('provider_uuid', '=', rp).execute()).map((r) => [
            r.resource_class,
            inventoryOf(r),
          ]),
        );
        const usage = await usageByClass(trx, rp);
        for (const [rc, amount] of Object.entries(resources)) {
          const inv = invs.get(rc);
          if (!inv) throw new ClaimError('no_inventory', `Inventory for '${rc}' on resource provider '${rp}' invalid.`);
          if (amount < inv.minUnit || amount > inv.maxUnit || amount % inv.stepSize !== 0) {
            throw new ClaimError(
              'constraints',
              `Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would violate inventory constraints.`,
            );
          }
          if ((usage.get(rc) ?? 0) > Math.floor((inv.total - inv.reserved) * inv.allocationRatio)) {
            throw new ClaimError(
              'capacity',
              `Unable to create allocation for '${rc}' on resource provider '${rp}'. The requested amount would exceed the capacity.`,
            );
          }
        }
      }
    }
    for (const [rp, gen] of touched) {
      let expected = gen;
      if (expected < 0) {
        const p = await trx.selectFrom('resource_providers').select('generation').where('uuid', '=', rp).executeTakeFirst();
        if (!p) continue;
        expected = Number(p.generation);
      }
      try {
        await bumpGeneration(trx, rp, expected);
      } catch (e) {
        // Someone else changed the provider since we read it: the caller retries with fresh usage.
        if (e instanceof KumoError && e.code === 'placement.concurrent_update') throw new ClaimError('provider_race', e.message);
        throw e;
      }
    }
  }

  /** Providers with inventories, usage, traits and aggregates, for filtering and candidates. */
  async snapshot(): Promise<Map<string, ProviderSnapshot>> {
    const out = new Map<string, ProviderSnapshot>();
    for (const r of await this.db.selectFrom('resource_providers').selectAll().orderBy('created_at').orderBy('uuid').execute()) {
      out.set(r.uuid, { provider: providerOf(r), inventories: new Map(), usage: new Map(), traits: new Set(), aggregates: new Set() });
    }
    for (const r of await this.db.selectFrom('inventories').selectAll().execute())
      out.get(r.provider_uuid)?.inventories.set(r.resource_class, inventoryOf(r));
    const usage = await this.db
      .selectFrom('allocations')
      .select(['provider_uuid', 'resource_class', (eb) => eb.fn.sum<number | string>('used').as('used')])
      .groupBy(['provider_uuid', 'resource_class'])
      .execute();
    for (const r of usage) out.get(r.provider_uuid)?.usage.set(r.resource_class, Number(r.used));
    for (const r of await this.db.selectFrom('provider_traits').selectAll().execute()) out.get(r.provider_uuid)?.traits.add(r.trait);
    for (const r of await this.db.selectFrom('provider_aggregates').selectAll().execute())
      out.get(r.provider_uuid)?.aggregates.add(r.aggregate_uuid);
    return out;
  }
}

/** MySQL/MariaDB deadlock or lock wait, PostgreSQL serialization failure or deadlock. */
function isDeadlock(e: unknown): boolean {
  const err = e as { code?: string; errno?: number } | null;
  return err?.errno === 1213 || err?.errno === 1205 || err?.code === '40P01' || err?.code === '40001';
}
