/**
 * Placement's storage contract on every database backend: generation
 * compare-and-set, capacity under concurrent claims, unique names, the
 * snapshot the candidate search reads, and refusing to delete what is used.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/lib/db/database.js';
import { migrateToLatest } from '../../src/lib/db/migrations.js';
import { createLogger } from '../../src/lib/log.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { Microversion } from '../../src/lib/http/microversion.js';
import { createPlacementServices, type PlacementServices } from '../../src/placement/domain/placement-services.js';
import { PLACEMENT_POLICY } from '../../src/placement/domain/policy-defaults.js';
import { placementMigrations } from '../../src/placement/store/migrations/index.js';
import type { PlacementDatabase } from '../../src/placement/store/placement-database.js';
import type { PlacementDB } from '../../src/placement/store/schema.js';
import { databaseBackends, type Backend } from '../support/db-backends.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

const V = new Microversion(1, 39);
const code = (e: unknown) => (e as { code?: string }).code;

function storeContract(backend: Backend): void {
  describe(`placement store on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let database: PlacementDatabase;
    let svc: PlacementServices;
    before(async () => {
      database = await openDatabase<PlacementDB>(await backend.create());
      await migrateToLatest(database.db as never, 'placement', placementMigrations);
      // Migrating again is a no-op.
      assert.deepEqual((await migrateToLatest(database.db as never, 'placement', placementMigrations)).applied, []);
      svc = createPlacementServices(database.db, new PolicyEngine(PLACEMENT_POLICY), createLogger({ level: 'silent' }));
    });
    after(() => database?.close());

    const node = async (vcpu: number) => {
      const p = await svc.providers.create({ name: `n-${randomUUID()}`, uuid: randomUUID() });
      await svc.providers.setInventories(
        p.uuid,
        0,
        { VCPU: { total: vcpu, allocation_ratio: 1.5 }, MEMORY_MB: { total: 8192, reserved: 512 } },
        V,
      );
      return p.uuid;
    };

    it('provider writes compare-and-set the generation', async () => {
      const rp = await node(4);
      const { provider, inventories } = await svc.providers.inventories(rp);
      assert.equal(provider.generation, 1);
      assert.equal(inventories.find((i) => i.resourceClass === 'VCPU')!.allocationRatio, 1.5);
      await assert.rejects(
        svc.providers.setInventories(rp, 0, { VCPU: { total: 1 } }, V),
        (e) => code(e) === 'placement.concurrent_update',
      );
      await assert.rejects(svc.providers.setTraits(rp, 0, ['COMPUTE_NODE']), (e) => code(e) === 'placement.concurrent_update');
      assert.equal((await svc.providers.setTraits(rp, 1, ['COMPUTE_NODE'])).provider.generation, 2);
      await assert.rejects(svc.providers.setAggregates(rp, 1, [randomUUID()]), (e) => code(e) === 'placement.concurrent_update');
      assert.equal((await svc.providers.setAggregates(rp, 2, [randomUUID()])).provider.generation, 3);
      // Two writers with the same generation: exactly one wins.
      const results = await Promise.allSettled([1, 2, 3, 4].map((n) => svc.providers.setInventories(rp, 3, { VCPU: { total: n } }, V)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await svc.providers.get(rp)).generation, 4);
    });

    it('names are unique and compared exactly', async () => {
      const name = `Host-${randomUUID()}`;
      await svc.providers.create({ name });
      await assert.rejects(svc.providers.create({ name }), (e) => code(e) === 'placement.duplicate_name');
      await svc.providers.create({ name: name.toLowerCase() });
      await svc.providers.create({ name: `${name} ` });
    });

    it('concurrent claims never overcommit a provider', async () => {
      const rp = await node(4); // capacity 6 with ratio 1.5
      const claims = Array.from({ length: 16 }, () =>
        svc.allocations.replace([
          { consumerUuid: randomUUID(), allocations: { [rp]: { VCPU: 1 } }, projectId: 'p', userId: 'u', consumerGeneration: null },
        ]),
      );
      const results = await Promise.allSettled(claims);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 6);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { status?: number }).status, 409);
      assert.equal((await svc.providers.usages(rp)).usages.get('VCPU'), 6);
      // Each successful claim bumped the generation once.
      assert.equal((await svc.providers.get(rp)).generation, 1 + 6);
    });

    it('a new consumer claimed twice at once is created once', async () => {
      const rp = await node(100);
      const consumer = randomUUID();
      const results = await Promise.allSettled(
        [1, 2, 3].map(() =>
          svc.allocations.replace([
            { consumerUuid: consumer, allocations: { [rp]: { VCPU: 1 } }, projectId: 'p', userId: 'u', consumerGeneration: null },
          ]),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const got = await svc.allocations.forConsumer(consumer);
      assert.equal(got.consumer?.generation, 1);
      assert.equal(got.rows.length, 1);
    });

    it('moves between consumers net out and roll back as one', async () => {
      const rp = await node(2); // capacity 3
      const a = randomUUID();
      const b = randomUUID();
      await svc.allocations.replace([{ consumerUuid: a, allocations: { [rp]: { VCPU: 3 } }, projectId: 'p', userId: 'u' }]);
      await svc.allocations.replace([
        { consumerUuid: a, allocations: {}, projectId: 'p', userId: 'u' },
        { consumerUuid: b, allocations: { [rp]: { VCPU: 3 } }, projectId: 'p', userId: 'u' },
      ]);
      assert.equal((await svc.allocations.forConsumer(a)).rows.length, 0);
      await assert.rejects(
        svc.allocations.replace([
          { consumerUuid: a, allocations: { [rp]: { VCPU: 1 } }, projectId: 'p', userId: 'u' },
          { consumerUuid: b, allocations: { [rp]: { VCPU: 3 } }, projectId: 'p', userId: 'u' },
        ]),
        (e) => (e as { status?: number }).status === 409,
      );
      assert.equal((await svc.allocations.forConsumer(a)).rows.length, 0);
      assert.equal((await svc.allocations.forConsumer(b)).rows[0]!.used, 3);
      const usage = await svc.allocations.projectUsage('p');
      assert.ok(usage.some((u) => u.consumerUuid === b && u.used === 3));
    });

    it('in-use inventory, providers, classes and traits are kept', async () => {
      const rp = await node(8);
      const c = randomUUID();
      await svc.allocations.replace([{ consumerUuid: c, allocations: { [rp]: { VCPU: 2 } }, projectId: 'p', userId: 'u' }]);
      const gen = (await svc.providers.get(rp)).generation;
      await assert.rejects(
        svc.providers.setInventories(rp, gen, { MEMORY_MB: { total: 1 } }, V),
        (e) => code(e) === 'placement.inventory.inuse',
      );
      assert.equal((await svc.providers.get(rp)).generation, gen, 'a refused write does not bump');
      await assert.rejects(svc.providers.delete(rp), (e) => code(e) === 'placement.resource_provider.inuse');
      await svc.resourceClasses.create('CUSTOM_STORE_TEST');
      await svc.providers.setInventories(rp, gen, { VCPU: { total: 8 }, CUSTOM_STORE_TEST: { total: 1 } }, V, ['CUSTOM_STORE_TEST']);
      await assert.rejects(svc.resourceClasses.delete('CUSTOM_STORE_TEST'), (e) => (e as { status?: number }).status === 409);
      await svc.allocations.delete(c);
      await svc.providers.delete(rp);
      await assert.rejects(svc.providers.get(rp), (e) => code(e) === 'placement.resource_provider.not_found');
      await svc.resourceClasses.delete('CUSTOM_STORE_TEST');
    });

    it('candidates read capacity, usage and traits from the snapshot', async () => {
      const rp = await node(1000);
      await svc.allocations.replace([{ consumerUuid: randomUUID(), allocations: { [rp]: { VCPU: 1400 } }, projectId: 'p', userId: 'u' }]);
      const group = (n: number) => ({
        suffix: '',
        resources: new Map([['VCPU', n]]),
        required: [],
        forbidden: [],
        memberOf: [],
        forbiddenAggregates: [],
        inTree: rp,
      });
      assert.equal((await svc.candidates.find([group(100)], { isolate: false })).candidates.length, 1);
      assert.equal((await svc.candidates.find([group(101)], { isolate: false })).candidates.length, 0);
      const s = (await svc.candidates.find([group(1)], { isolate: false })).summaries[0]!;
      assert.equal(s.usage.get('VCPU'), 1400);
      assert.equal(s.inventories.get('MEMORY_MB')!.reserved, 512);
    });
  });
}

for (const b of backends) storeContract(b);
