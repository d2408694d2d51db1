import { KumoError, badRequest, notFound } from '../../lib/errors.js';
import { type AllocationStore, ClaimError } from '../store/allocation-store.js';
import type { AllocationRow, Consumer, ConsumerClaim, Inventory } from './models.js';
import type { ProviderService } from './provider-service.js';

/** Placement's allocation_conflict_retry_count default. */
const RETRIES = 10;

/** Allocations of consumers against providers, with capacity and generation checks. */
export class AllocationService {
  constructor(
    private readonly store: AllocationStore,
    private readonly providers: ProviderService,
  ) {}

  async forConsumer(uuid: string): Promise<{ consumer?: Consumer; rows: AllocationRow[]; generations: Map<string, number> }> {
    const rows = await this.store.byConsumer(uuid);
    const generations = new Map<string, number>();
    for (const r of rows)
      if (!generations.has(r.providerUuid)) generations.set(r.providerUuid, (await this.providers.get(r.providerUuid)).generation);
    return { consumer: rows.length > 0 ? await this.store.consumer(uuid) : undefined, rows, generations };
  }

  async forProvider(uuid: string): Promise<{ generation: number; rows: AllocationRow[] }> {
    const p = await this.providers.get(uuid);
    return { generation: p.generation, rows: await this.store.byProvider(uuid) };
  }

  /** Writes the claims of one or more consumers atomically. */
  async replace(claims: ConsumerClaim[]): Promise<void> {
    for (const c of claims) {
      for (const [rp, res] of Object.entries(c.allocations)) {
        if (Object.keys(res).length === 0) throw badRequest(`No resources given for resource provider ${rp}.`);
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.replace(claims);
      } catch (e) {
        if (e instanceof ClaimError && e.kind === 'provider_race' && attempt < RETRIES) continue;
        throw this.#fault(e);
      }
    }
  }

  #fault(e: unknown): unknown {
    if (!(e instanceof ClaimError)) return e;
    if (e.kind === 'provider_race') {
      return new KumoError(
        'placement.concurrent_update',
        409,
        `Failed to update allocations: resource provider generation conflict after ${RETRIES} attempts.`,
      );
    }
    if (e.kind === 'no_provider') return badRequest(e.message);
    return new KumoError('conflict', 409, `Unable to allocate inventory: ${e.message}`);
  }

  /** Reshaper: inventories and allocations replaced together (providers' generations checked). */
  async reshape(inventories: { uuid: string; generation: number; inventories: Inventory[] }[], claims: ConsumerClaim[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.reshape(inventories, claims);
      } catch (e) {
        if (e instanceof ClaimError && e.kind === 'provider_race' && attempt < RETRIES) continue;
        throw this.#fault(e);
      }
    }
  }

  async delete(uuid: string): Promise<void> {
    const rows = await this.store.byConsumer(uuid);
    if (rows.length === 0) throw notFound(`No allocations for consumer '${uuid}'`);
    const c = await this.store.consumer(uuid);
    await this.store.replace([{ consumerUuid: uuid, allocations: {}, projectId: c?.projectId ?? '', userId: c?.userId ?? '' }]);
  }

  projectUsage(projectId: string, userId?: string) {
    return this.store.projectUsage(projectId, userId);
  }
}
