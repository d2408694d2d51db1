import { randomUUID } from 'node:crypto';
import { type KumoError, badRequest, conflict, notFound } from '../../lib/errors.js';
import type { Microversion } from '../../lib/http/microversion.js';
import type { Logger } from '../../lib/log.js';
import type { AllocationStore, ProviderSnapshot } from '../store/allocation-store.js';
import type { NameStore } from '../store/name-store.js';
import { type ProviderStore, providerNotFound } from '../store/provider-store.js';
import { type Inventory, MAX_INT, type Provider } from './models.js';
import { type RequestGroup, satisfies } from './request-groups.js';
import { isStandardClass } from './resource-classes.js';
import { STANDARD_TRAITS } from './standard-traits.js';

export interface ProviderFilter extends RequestGroup {
  name?: string;
  uuid?: string;
}

/** Inventory fields as the API sends them; defaults filled here. */
export interface InventoryInput {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

const duplicateName = (name: string): KumoError =>
  conflict(`Conflicting resource provider name: ${name} already exists.`, 'placement.duplicate_name');

/** Resource providers with their inventories, traits and aggregates. */
export class ProviderService {
  constructor(
    private readonly store: ProviderStore,
    private readonly allocations: AllocationStore,
    private readonly classes: NameStore,
    private readonly traitNames: NameStore,
    private readonly log: Logger,
  ) {}

  get(uuid: string): Promise<Provider> {
    return this.store.require(uuid);
  }

  async create(input: { name: string; uuid?: string; parentUuid?: string | null }): Promise<Provider> {
    const uuid = input.uuid ?? randomUUID();
    if (await this.store.get(uuid)) throw conflict(`Conflicting resource provider uuid: ${uuid} already exists.`);
    let rootUuid = uuid;
    if (input.parentUuid) {
      const parent = await this.store.get(input.parentUuid);
      if (!parent) throw badRequest(`parent provider UUID cannot be found: ${input.parentUuid}`);
      rootUuid = parent.rootUuid;
    }
    return this.store.create({ uuid, name: input.name, parentUuid: input.parentUuid ?? null, rootUuid }, () => duplicateName(input.name));
  }

  async update(uuid: string, input: { name: string; parentUuid?: string | null }, mv: Microversion): Promise<Provider> {
    const p = await this.store.require(uuid);
    let parentUuid = p.parentUuid;
    let rootUuid = p.rootUuid;
    if (input.parentUuid !== undefined && input.parentUuid !== p.parentUuid) {
      if (p.parentUuid !== null && !mv.atLeast('1.37')) {
        throw badRequest('Unable to save resource provider: re-parenting a provider is not currently allowed.');
      }
      if (input.parentUuid === null) {
        parentUuid = null;
        rootUuid = uuid;
      } else {
        const parent = await this.store.get(input.parentUuid);
        if (!parent) throw badRequest(`parent provider UUID cannot be found: ${input.parentUuid}`);
        if (parent.uuid === uuid || (await this.#isDescendant(parent.uuid, uuid))) {
          throw badRequest('Unable to save resource provider: creating loop in the provider tree is not allowed.');
        }
        parentUuid = parent.uuid;
        rootUuid = parent.rootUuid;
      }
    }
    await this.store.update(uuid, { name: input.name, parentUuid, rootUuid }, () => duplicateName(input.name));
    return this.store.require(uuid);
  }

  async #isDescendant(candidate: string, ancestor: string): Promise<boolean> {
    let cur = await this.store.get(candidate);
    while (cur?.parentUuid) {
      if (cur.parentUuid === ancestor) return true;
      cur = await this.store.get(cur.parentUuid);
    }
    return false;
  }

  delete(uuid: string): Promise<void> {
    return this.store.delete(uuid);
  }

  /** Providers matching every filter given; resources are checked against free capacity. */
  async list(f: ProviderFilter): Promise<Provider[]> {
    const snap = await this.allocations.snapshot();
    const roots = new Map([...snap.values()].map((s) => [s.provider.uuid, s.provider.rootUuid]));
    if (f.inTree !== undefined && !roots.has(f.inTree)) return [];
    return [...snap.values()]
      .filter(
        (s: ProviderSnapshot) =>
          (f.name === undefined || s.provider.name === f.name) && (f.uuid === undefined || s.provider.uuid === f.uuid),
      )
      .filter((s) => satisfies(s, f, roots))
      .map((s) => s.provider);
  }

  // --- inventories ---

  async inventories(uuid: string): Promise<{ provider: Provider; inventories: Inventory[] }> {
    const provider = await this.store.require(uuid);
    return { provider, inventories: await this.store.inventories(uuid) };
  }

  async inventory(uuid: string, rc: string): Promise<{ provider: Provider; inventory: Inventory }> {
    const { provider, inventories } = await this.inventories(uuid);
    const inventory = inventories.find((i) => i.resourceClass === rc);
    if (!inventory) throw notFound(`No inventory of class ${rc} for ${uuid}`);
    return { provider, inventory };
  }

  /** Replaces all inventories (or only the classes in `touch`). */
  async setInventories(
    uuid: string,
    generation: number,
    input: Record<string, InventoryInput>,
    mv: Microversion,
    touch?: string[],
  ): Promise<{ provider: Provider; inventories: Inventory[] }> {
    await this.store.require(uuid);
    const invs = await this.validateInventories(uuid, input, mv);
    const { exceeded } = await this.store.setInventories(uuid, generation, invs, touch);
    // As placement does, lowering capacity below what is allocated is allowed (e.g. raising reserved) but logged.
    if (exceeded.length > 0)
      this.log.warn({ provider: uuid, classes: exceeded }, 'resource provider now has allocations exceeding inventory capacity');
    return this.inventories(uuid);
  }

  /** Checks classes and fields of inventories as sent, filling defaults. */
  async validateInventories(uuid: string, input: Record<string, InventoryInput>, mv: Microversion): Promise<Inventory[]> {
    const invs: Inventory[] = [];
    for (const [rc, i] of Object.entries(input)) {
      await this.#requireClass(rc, uuid);
      invs.push(this.#validate(uuid, rc, i, mv));
    }
    return invs;
  }

  async deleteInventory(uuid: string, rc: string, generation?: number): Promise<void> {
    const { provider } = await this.inventory(uuid, rc);
    await this.store.setInventories(uuid, generation ?? provider.generation, [], [rc]);
  }

  async #requireClass(rc: string, uuid: string): Promise<void> {
    if (isStandardClass(rc) || (await this.classes.has(rc))) return;
    throw badRequest(`Unknown resource class in inventory for resource provider ${uuid}: ${rc}`);
  }

  #validate(uuid: string, rc: string, i: InventoryInput, mv: Microversion): Inventory {
    const inv: Inventory = {
      resourceClass: rc,
      total: i.total,
      reserved: i.reserved ?? 0,
      minUnit: i.min_unit ?? 1,
      maxUnit: i.max_unit ?? MAX_INT,
      stepSize: i.step_size ?? 1,
      allocationRatio: i.allocation_ratio ?? 1.0,
    };
    const bad = (why: string) =>
      badRequest(
        `Unable to update inventory for resource provider ${uuid}: Invalid inventory for '${rc}' on resource provider '${uuid}'. ${why}`,
      );
    if (mv.atLeast('1.26') ? inv.reserved > inv.total : inv.reserved >= inv.total) {
      throw bad(mv.atLeast('1.26') ? 'The reserved value is greater than total.' : 'The reserved value is greater than or equal to total.');
    }
    if (inv.minUnit > inv.maxUnit) throw bad('The min_unit value is greater than max_unit.');
    return inv;
  }

  // --- traits and aggregates ---

  async traits(uuid: string): Promise<{ provider: Provider; traits: string[] }> {
    const provider = await this.store.require(uuid);
    return { provider, traits: await this.store.traits(uuid) };
  }

  async setTraits(uuid: string, generation: number, traits: string[]): Promise<{ provider: Provider; traits: string[] }> {
    await this.store.require(uuid);
    const unknown: string[] = [];
    for (const t of traits) if (!STANDARD_TRAITS.has(t) && !(await this.traitNames.has(t))) unknown.push(t);
    if (unknown.length > 0) throw badRequest(`No such trait(s): ${unknown.join(', ')}`);
    await this.store.setTraits(uuid, generation, [...new Set(traits)]);
    return this.traits(uuid);
  }

  async aggregates(uuid: string): Promise<{ provider: Provider; aggregates: string[] }> {
    const provider = await this.store.require(uuid);
    return { provider, aggregates: await this.store.aggregates(uuid) };
  }

  async setAggregates(
    uuid: string,
    generation: number | undefined,
    aggregates: string[],
  ): Promise<{ provider: Provider; aggregates: string[] }> {
    await this.store.require(uuid);
    await this.store.setAggregates(uuid, generation, [...new Set(aggregates)]);
    return this.aggregates(uuid);
  }

  async usages(uuid: string): Promise<{ provider: Provider; usages: Map<string, number> }> {
    const provider = await this.store.require(uuid);
    const usage = await this.allocations.usage(uuid);
    // Every class with inventory is reported, zero when nothing is allocated.
    for (const inv of await this.store.inventories(uuid)) if (!usage.has(inv.resourceClass)) usage.set(inv.resourceClass, 0);
    return { provider, usages: usage };
  }

  async requireExists(uuid: string): Promise<void> {
    if (!(await this.store.get(uuid))) throw providerNotFound(uuid);
  }
}
