import { badRequest, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { RegionStore } from '../store/region-store.js';
import type { IdentityContext } from './identity-context.js';
import type { Region } from './models.js';

export interface RegionInput {
  id?: string;
  description?: string;
  parent_region_id?: string | null;
  [extra: string]: unknown;
}

const KNOWN = new Set(['id', 'description', 'parent_region_id']);

function extras(input: RegionInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k)));
}

/** Regions: a tree of places endpoints live in. */
export class RegionService {
  readonly #store: RegionStore;
  readonly #ctx: IdentityContext;

  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
    this.#store = new RegionStore(ctx.db);
  }

  async get(id: string): Promise<Region> {
    const r = await this.#store.get(id);
    if (!r) throw notFound(`Could not find region: ${id}.`, 'region_not_found');
    return r;
  }

  find(id: string): Promise<Region | undefined> {
    return this.#store.get(id);
  }

  list(filter: { parentRegionId?: string }): Promise<Region[]> {
    return this.#store.list(filter);
  }

  async create(input: RegionInput): Promise<Region> {
    const id = input.id ?? newId();
    const parent = input.parent_region_id ?? null;
    if (parent !== null) await this.#requireParent(parent, id);
    const region: Region = { id, description: input.description ?? '', parentRegionId: parent, extra: extras(input) };
    await failOnDuplicate(this.#store.insert(region), () => conflict(`Duplicate ID, ${id}.`, 'region_conflict'));
    this.#ctx.revision.bump();
    return region;
  }

  async update(id: string, input: RegionInput): Promise<Region> {
    if (input.id !== undefined && input.id !== id) throw badRequest('Cannot change region ID.');
    const region = await this.get(id);
    if (input.parent_region_id !== undefined) {
      if (input.parent_region_id !== null) await this.#requireParent(input.parent_region_id, id);
      region.parentRegionId = input.parent_region_id;
    }
    if (input.description !== undefined) region.description = input.description;
    region.extra = { ...region.extra, ...extras(input) };
    await this.#store.update(region);
    this.#ctx.revision.bump();
    return region;
  }

  /** Deletes a region and its whole subtree, as Keystone does; callers check endpoints first. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    const doomed = [id];
    for (let i = 0; i < doomed.length && doomed.length < 10_000; i++) {
      for (const child of await this.#store.list({ parentRegionId: doomed[i] as string })) doomed.push(child.id);
    }
    for (const r of doomed.reverse()) await this.#store.delete(r);
    this.#ctx.revision.bump();
  }

  /** The parent must exist and must not be the region itself or one of its descendants. */
  async #requireParent(parentId: string, id: string): Promise<void> {
    let cursor: string | null = parentId;
    for (let depth = 0; cursor !== null; depth++) {
      if (cursor === id || depth > 100) throw badRequest(`Circular reference or a repeated entry found in region tree - ${id}.`);
      const r = await this.#store.get(cursor);
      if (!r) throw notFound(`Could not find region: ${cursor}.`, 'region_not_found');
      cursor = r.parentRegionId;
    }
  }
}
