/**
 * One storage contract for the identity service, run against every database
 * backend (SQLite, MariaDB/MySQL, PostgreSQL): whatever the dialect, the same
 * calls must store and return the same values and fail the same way.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { KumoError } from '../src/lib/errors.js';
import { openDatabase } from '../src/lib/db/database.js';
import { migrateToLatest } from '../src/lib/db/migrations.js';
import { bootstrapIdentity } from '../src/identity/domain/bootstrap.js';
import { grantOf } from '../src/identity/domain/assignment-service.js';
import { identityMigrations } from '../src/identity/store/migrations/index.js';
import type { IdentityDB } from '../src/identity/store/schema.js';
import { databaseBackends, type Backend } from './support/db-backends.js';
import { ADMIN_PASSWORD, startIdentity, type IdentityHarness } from './support/identity-harness.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

/** Security-compliance settings that make password history and lockout touch storage. */
const COMPLIANCE_ENV = {
  KUMO_IDENTITY_LOCKOUT_FAILURE_ATTEMPTS: '3',
  KUMO_IDENTITY_LOCKOUT_DURATION: '600',
  KUMO_IDENTITY_UNIQUE_LAST_PASSWORD_COUNT: '3',
  KUMO_IDENTITY_PASSWORD_EXPIRES_DAYS: '30',
};

const IDENTITY_TABLES: (keyof IdentityDB)[] = [
  'domains',
  'projects',
  'project_tags',
  'users',
  'passwords',
  'groups',
  'group_members',
  'roles',
  'implied_roles',
  'assignments',
  'regions',
  'services',
  'endpoints',
  'application_credentials',
  'app_cred_roles',
  'credentials',
  'revocation_events',
  'policies',
];

const UNICODE = 'プロジェクト-ü-🌩';
const LONG = 'ü'.repeat(254) + 'x'; // 255 characters, 510 bytes in UTF-8

const isConflict = (e: unknown): boolean => e instanceof KumoError && e.status === 409;
const isStatus = (status: number) => (e: unknown) => e instanceof KumoError && e.status === status;

/** The database name at the end of a MySQL URL. */
const mysqlDbName = (url: string): string => new URL(url).pathname.slice(1);

function identityStorageContract(backend: Backend): void {
  describe(`identity storage on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let h: IdentityHarness;
    let url: string;
    let dataDir: string;
    let db: Kysely<any>;
    const start = async (): Promise<void> => {
      h = await startIdentity({ databaseUrl: url, dataDir, env: COMPLIANCE_ENV });
      db = h.server.database.db as Kysely<any>;
    };
    const count = async (table: string, where?: [string, unknown]): Promise<number> => {
      let q = db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
      if (where) q = q.where(where[0], '=', where[1]);
      return Number((await q.executeTakeFirstOrThrow()).n);
    };
    const passwordToken = (user: { name: string; domainId?: string; password: string }, scope?: unknown) =>
      h.request('POST', '/v3/auth/tokens', {
        token: null,
        body: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: user.name, domain: { id: user.domainId ?? 'default' }, password: user.password } },
            },
            ...(scope === undefined ? {} : { scope }),
          },
        },
      });

    before(async () => {
      url = await backend.create();
      if (backend.name === 'mysql') {
        // A database created the way an operator would (server defaults: case- and accent-insensitive);
        // the identity tables must not inherit that.
        const mysql = await import('mysql2/promise');
        const c = await mysql.createConnection({ uri: url });
        await c.query(`ALTER DATABASE \`${mysqlDbName(url)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
        await c.end();
      }
      dataDir = await mkdtemp(join(tmpdir(), 'kumo-backend-'));
      await start();
    });
    after(async () => {
      await h?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('applies migrations once; running them again changes nothing', async () => {
      const again = await migrateToLatest(db as Kysely<unknown>, 'identity', identityMigrations);
      assert.deepEqual(again.applied, []);
      const rows = await db.selectFrom('kumo_migrations_identity').select('name').execute();
      assert.deepEqual(
        rows.map((r) => r.name),
        Object.keys(identityMigrations),
      );
      for (const t of IDENTITY_TABLES) assert.equal(typeof (await count(t)), 'number', t);
    });

    it('two processes migrating a fresh database at once apply each migration exactly once', async () => {
      const fresh = await backend.create();
      const a = await openDatabase(fresh);
      const b = await openDatabase(fresh);
      try {
        const [ra, rb] = await Promise.all([
          migrateToLatest(a.db, 'identity', identityMigrations),
          migrateToLatest(b.db, 'identity', identityMigrations),
        ]);
        assert.deepEqual([...ra.applied, ...rb.applied], Object.keys(identityMigrations));
      } finally {
        await a.close();
        await b.close();
      }
    });

    it(
      'pins identity tables to a binary utf8mb4 collation on MySQL, whatever the database default',
      { skip: backend.name !== 'mysql' && 'MySQL only' },
      async () => {
        const { rows } = await sql<{
          t: string;
          c: string;
        }>`select table_name as t, table_collation as c from information_schema.tables where table_schema = database()`.execute(db);
        const byTable = new Map(rows.map((r) => [r.t, r.c]));
        // Binary, and NO PAD where the server has such a collation (MariaDB, MySQL 8).
        for (const t of IDENTITY_TABLES) assert.match(byTable.get(t) ?? 'missing', /^utf8mb4_(nopad_bin|0900_bin|bin)$/, t);
      },
    );

    it('bootstrap run again is idempotent', async () => {
      const tables = [
        'domains',
        'projects',
        'users',
        'passwords',
        'roles',
        'implied_roles',
        'assignments',
        'regions',
        'services',
        'endpoints',
      ];
      const before = await Promise.all(tables.map((t) => count(t)));
      const r = await bootstrapIdentity(h.server.services, {
        adminPassword: ADMIN_PASSWORD,
        region: 'RegionOne',
        endpoints: [{ type: 'identity', name: 'keystone', description: 'Identity', url: `${h.url}/v3` }],
      });
      assert.equal(r.adminUserCreated, false);
      assert.equal(r.adminUserId, h.adminUserId);
      assert.equal(r.adminProjectId, h.adminProjectId);
      assert.deepEqual(await Promise.all(tables.map((t) => count(t))), before);
      assert.equal((await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': h.adminToken } })).status, 200);
    });

    it('bootstrap with resetPassword and the unchanged password keeps the admin and its tokens', async () => {
      await bootstrapIdentity(h.server.services, {
        adminPassword: ADMIN_PASSWORD,
        resetPassword: true,
        region: 'RegionOne',
        endpoints: [],
      });
      assert.equal((await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': h.adminToken } })).status, 200);
    });

    it('creates, lists, updates and deletes regions through the API', async () => {
      const parent = await h.request('POST', '/v3/regions', {
        body: { region: { id: 'Region-Ü', description: UNICODE, custom: { nested: [1, true] } } },
      });
      assert.equal(parent.status, 201, parent.text);
      assert.equal(parent.body.region.id, 'Region-Ü');
      const child = await h.request('POST', '/v3/regions', { body: { region: { description: LONG, parent_region_id: 'Region-Ü' } } });
      assert.equal(child.status, 201, child.text);
      const childId: string = child.body.region.id;

      const got = await h.request('GET', `/v3/regions/${encodeURIComponent('Region-Ü')}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.region.description, UNICODE);
      assert.deepEqual(got.body.region.custom, { nested: [1, true] });
      assert.equal(got.body.region.parent_region_id, null);

      const kids = await h.request('GET', `/v3/regions?parent_region_id=${encodeURIComponent('Region-Ü')}`);
      assert.deepEqual(
        kids.body.regions.map((r: { id: string }) => r.id),
        [childId],
      );
      assert.equal(kids.body.regions[0].description, LONG);
      const all = await h.request('GET', '/v3/regions');
      assert.deepEqual(all.body.regions.map((r: { id: string }) => r.id).sort(), ['Region-Ü', 'RegionOne', childId].sort());

      const dup = await h.request('POST', '/v3/regions', { body: { region: { id: 'Region-Ü' } } });
      assert.equal(dup.status, 409, dup.text);
      // Ids differing only in case are different regions on every dialect.
      const cased = await h.request('POST', '/v3/regions', { body: { region: { id: 'region-ü' } } });
      assert.equal(cased.status, 201, cased.text);

      const patched = await h.request('PATCH', `/v3/regions/${childId}`, { body: { region: { description: 'changed' } } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal((await h.request('GET', `/v3/regions/${childId}`)).body.region.description, 'changed');

      // As in Keystone, deleting a region deletes its child regions too.
      assert.equal((await h.request('DELETE', `/v3/regions/${encodeURIComponent('Region-Ü')}`)).status, 204);
      assert.equal((await h.request('DELETE', `/v3/regions/${encodeURIComponent('region-ü')}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/regions/${childId}`)).status, 404);
    });

    it('stores descriptions and extras of ~100 KB (what a request body may carry)', async () => {
      const { resources } = h.server.services;
      const description = 'ü'.repeat(40_000); // 80 KB of UTF-8
      const blob = 'y'.repeat(70_000);
      const p = await resources.createProject({ name: 'big-project', description, blob }, 'default');
      const read = await resources.getProject(p.id);
      assert.equal(read.description, description);
      assert.equal(read.extra.blob, blob);
      // Through the API: just under the body limit, one column over 64 KiB.
      const regionDescription = 'ü'.repeat(34_000);
      const r = await h.request('POST', '/v3/regions', { body: { region: { id: 'big-region', description: regionDescription } } });
      assert.equal(r.status, 201, r.text.slice(0, 300));
      assert.equal((await h.request('GET', '/v3/regions/big-region')).body.region.description, regionDescription);
      assert.equal((await h.request('DELETE', '/v3/regions/big-region')).status, 204);
      await resources.deleteProject(p.id);
    });

    it('refuses text containing U+0000 with 400 on every dialect (PostgreSQL cannot store it)', async () => {
      const r = await h.request('POST', '/v3/regions', { body: { region: { id: 'nul-region', description: 'a\u0000b' } } });
      assert.equal(r.status, 400, r.text);
    });

    it('stores domains with unicode names, booleans and extras', async () => {
      const { resources } = h.server.services;
      const d = await resources.createDomain({ name: `dom-${UNICODE}`, description: 'd', custom: 'x' });
      const same = await resources.findDomainByName(`dom-${UNICODE}`);
      assert.deepEqual(same, d);
      await assert.rejects(resources.createDomain({ name: `dom-${UNICODE}` }), isConflict);
      // Case and accents matter on every dialect.
      await resources.createDomain({ name: `DOM-${UNICODE}` });
      await resources.createDomain({ name: 'dom-プロジェクト-u-🌩' });

      const off = await resources.updateDomain(d.id, { enabled: false });
      assert.equal(off.enabled, false);
      const read = await resources.getDomain(d.id);
      assert.strictEqual(read.enabled, false);
      assert.deepEqual(read.extra, { custom: 'x' });
      assert.ok((await resources.listDomains({ enabled: false })).some((x) => x.id === d.id));
      assert.ok(!(await resources.listDomains({ enabled: true })).some((x) => x.id === d.id));
      // Trailing spaces are significant too (MySQL's PAD SPACE collations ignore them).
      const pad = await resources.createDomain({ name: 'pad-name' });
      const padded = await resources.createDomain({ name: 'pad-name ' });
      assert.equal((await resources.findDomainByName('pad-name '))?.id, padded.id);
      assert.equal((await resources.findDomainByName('pad-name'))?.id, pad.id);
      const long = await resources.createDomain({ name: LONG });
      assert.equal((await resources.getDomain(long.id)).name, LONG);
    });

    it('stores projects with tags; duplicate names in a domain are 409', async () => {
      const { resources } = h.server.services;
      const dom = await resources.createDomain({ name: 'projects-domain' });
      const p = await resources.createProject(
        { name: UNICODE, domain_id: dom.id, description: 'ü', tags: ['b-tag', 'a-tag', 'タグ'] },
        'default',
      );
      const read = await resources.getProject(p.id);
      assert.equal(read.name, UNICODE);
      assert.equal(read.domainId, dom.id);
      assert.equal(read.parentId, null);
      assert.strictEqual(read.enabled, true);
      assert.deepEqual([...read.tags].sort(), ['a-tag', 'b-tag', 'タグ']);

      await assert.rejects(resources.createProject({ name: UNICODE, domain_id: dom.id }, 'default'), isConflict);
      // The failed insert left nothing behind (its transaction rolled back).
      assert.equal((await resources.listProjects({ domainId: dom.id })).length, 1);
      // Same name elsewhere, or differing in case, is a different project.
      await resources.createProject({ name: UNICODE, domain_id: 'default' }, 'default');
      await resources.createProject({ name: UNICODE.toUpperCase() + 'X', domain_id: dom.id }, 'default');
      const upper = await resources.createProject({ name: 'CaseName', domain_id: dom.id }, 'default');
      const lower = await resources.createProject({ name: 'casename', domain_id: dom.id }, 'default');
      assert.notEqual(upper.id, lower.id);
      assert.equal((await resources.findProjectByName(dom.id, 'casename'))?.id, lower.id);
      await assert.rejects(resources.updateProject(lower.id, { name: 'CaseName' }), isConflict);

      const child = await resources.createProject({ name: LONG, parent_id: p.id, tags: ['x'] }, 'default');
      assert.equal((await resources.getProject(child.id)).name, LONG);
      assert.equal((await resources.getProject(child.id)).parentId, p.id);
      assert.deepEqual(
        (await resources.listProjects({ parentId: p.id })).map((x) => x.id),
        [child.id],
      );

      // A project with enabled children cannot be disabled (Keystone's rule), so the child goes first.
      await resources.deleteProject(child.id);
      await resources.updateProject(p.id, { tags: ['only'], enabled: false });
      await resources.addTag(p.id, 'second');
      await resources.removeTag(p.id, 'only');
      const after = await resources.getProject(p.id);
      assert.deepEqual(after.tags, ['second']);
      assert.strictEqual(after.enabled, false);
      const listed = await resources.listProjects({ domainId: dom.id, enabled: false });
      assert.deepEqual(
        listed.map((x) => [x.id, x.tags]),
        [[p.id, ['second']]],
      );
      assert.equal(await count('project_tags', ['project_id', p.id]), 1);

      await resources.deleteProject(p.id);
      assert.equal(await count('project_tags', ['project_id', p.id]), 0);
      assert.equal(await resources.findProject(p.id), undefined);
    });

    it('stores users with passwords; history is pruned and enforced', async () => {
      const { users } = h.server.services;
      const u = await users.create(
        { name: `user-${UNICODE}`, password: 'pw-1', email: 'u@example.org', options: { ignore_change_password_upon_first_use: true } },
        'default',
      );
      assert.ok(u.passwordExpiresAt, 'password_expires_days is set');
      const read = await users.get(u.id);
      assert.equal(read.name, `user-${UNICODE}`);
      assert.strictEqual(read.enabled, true);
      assert.deepEqual(read.extra, { email: 'u@example.org' });
      assert.deepEqual(read.options, { ignore_change_password_upon_first_use: true });
      // Timestamps come back exactly as written.
      assert.equal(read.passwordExpiresAt, u.passwordExpiresAt);
      assert.equal((await users.list({ ids: [u.id] }))[0]?.passwordExpiresAt, u.passwordExpiresAt);
      const row = await db.selectFrom('users').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
      assert.match(row.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      await assert.rejects(users.create({ name: `user-${UNICODE}` }, 'default'), isConflict);
      await users.create({ name: `USER-${UNICODE}` }, 'default');
      const other = await h.server.services.resources.createDomain({ name: 'users-domain' });
      await users.create({ name: `user-${UNICODE}`, domain_id: other.id }, 'default');
      const renamed = await users.create({ name: 'to-rename' }, 'default');
      await assert.rejects(users.update(renamed.id, { name: `user-${UNICODE}` }), isConflict);

      for (const pw of ['pw-2', 'pw-3', 'pw-4']) await users.update(u.id, { password: pw });
      assert.equal(await count('passwords', ['user_id', u.id]), 3, 'history keeps unique_last_password_count passwords');
      // History binds self-service changes; an administrator's reset is exempt, as in Keystone.
      await assert.rejects(
        users.changeOwnPassword(u.id, 'pw-4', 'pw-3'),
        (e: unknown) => e instanceof KumoError && e.code === 'password_history',
      );
      const ms = await db
        .selectFrom('passwords')
        .select('created_at_ms')
        .where('user_id', '=', u.id)
        .orderBy('created_at_ms', 'desc')
        .execute();
      const values = ms.map((r) => Number(r.created_at_ms));
      assert.ok(
        values.every((v) => Number.isSafeInteger(v) && v > 1.5e12),
        String(values),
      );
      assert.equal(new Set(values).size, 3);

      const ok = await passwordToken({ name: `user-${UNICODE}`, password: 'pw-4' });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.body.token.user.password_expires_at.slice(0, 19), (await users.get(u.id)).passwordExpiresAt?.slice(0, 19));
      assert.equal((await passwordToken({ name: `user-${UNICODE}`, password: 'pw-1' })).status, 401);

      await users.update(u.id, { enabled: false });
      assert.strictEqual((await users.get(u.id)).enabled, false);
      assert.deepEqual(
        (await users.list({ enabled: false, domainId: 'default' })).map((x) => x.id),
        [u.id],
      );
      await users.update(u.id, { enabled: true });

      await users.delete(renamed.id);
      assert.equal(await users.find(renamed.id), undefined);
      assert.equal(await count('passwords', ['user_id', renamed.id]), 0);
    });

    it('counts failed logins and locks the account; a reset unlocks it', async () => {
      const { users } = h.server.services;
      const u = await users.create({ name: 'locky', password: 'right-1' }, 'default');
      for (let i = 0; i < 3; i++) assert.equal((await passwordToken({ name: 'locky', password: 'wrong' })).status, 401);
      const locked = await users.get(u.id);
      assert.strictEqual(locked.failedAuthCount, 3);
      assert.ok(locked.failedAuthAt && Math.abs(Date.parse(locked.failedAuthAt) - Date.now()) < 60_000, String(locked.failedAuthAt));
      const refused = await passwordToken({ name: 'locky', password: 'right-1' });
      assert.equal(refused.status, 401);
      assert.match(refused.body.error.message, /locked/);

      await users.update(u.id, { password: 'right-2' });
      const reset = await users.get(u.id);
      assert.strictEqual(reset.failedAuthCount, 0);
      assert.equal(reset.failedAuthAt, null);
      assert.equal((await passwordToken({ name: 'locky', password: 'right-2' })).status, 201);
    });

    it('stores groups and memberships', async () => {
      const { groups, users, assignments } = h.server.services;
      const g = await groups.create({ name: `grp-${UNICODE}`, description: 'g', custom: 1 }, 'default');
      assert.deepEqual(await groups.get(g.id), g);
      await assert.rejects(groups.create({ name: `grp-${UNICODE}` }, 'default'), isConflict);
      const g2 = await groups.create({ name: `GRP-${UNICODE}` }, 'default');
      await assert.rejects(groups.update(g2.id, { name: `grp-${UNICODE}` }), isConflict);

      const u = await users.create({ name: 'member-of-groups' }, 'default');
      await groups.addMember(g.id, u.id);
      await groups.addMember(g.id, u.id); // idempotent
      await groups.addMember(g2.id, u.id);
      assert.equal(await groups.isMember(g.id, u.id), true);
      assert.deepEqual(await assignments.usersOfGroup(g.id), [u.id]);
      assert.deepEqual((await assignments.groupsOfUser(u.id)).sort(), [g.id, g2.id].sort());

      await groups.removeMember(g2.id, u.id);
      await assert.rejects(groups.removeMember(g2.id, u.id), isStatus(404));
      await groups.delete(g.id);
      assert.equal(await count('group_members', ['group_id', g.id]), 0);
      assert.deepEqual(await assignments.groupsOfUser(u.id), []);
    });

    it('stores roles and implied roles; duplicates are 409', async () => {
      const { roles, resources } = h.server.services;
      const a = await roles.create({ name: 'role-a', description: UNICODE });
      const b = await roles.create({ name: 'role-b' });
      const c = await roles.create({ name: LONG });
      await assert.rejects(roles.create({ name: 'role-a' }), isConflict);
      await roles.create({ name: 'ROLE-A' });
      // The same name as a domain-specific role is fine, once per domain.
      const dom = await resources.createDomain({ name: 'roles-domain' });
      const scoped = await roles.create({ name: 'role-a', domain_id: dom.id });
      assert.equal((await roles.get(scoped.id)).domainId, dom.id);
      assert.equal((await roles.get(a.id)).domainId, null);
      assert.equal((await roles.findByName('role-a'))?.id, a.id);
      assert.equal((await roles.findByName('role-a', dom.id))?.id, scoped.id);
      await assert.rejects(roles.create({ name: 'role-a', domain_id: dom.id }), isConflict);
      await assert.rejects(roles.update(b.id, { name: 'role-a' }), isConflict);

      await roles.imply(a.id, b.id);
      await roles.imply(a.id, b.id); // idempotent
      await roles.imply(b.id, c.id);
      assert.equal(await count('implied_roles', ['prior_role_id', a.id]), 1);
      assert.deepEqual((await roles.expand([a.id])).sort(), [a.id, b.id, c.id].sort());
      await assert.rejects(roles.imply(c.id, a.id), isStatus(403));
      assert.deepEqual(
        (await roles.impliedBy(b.id)).map((r) => r.name),
        [LONG],
      );
    });

    it('stores grants and computes effective roles, including group, inherited and implied ones', async () => {
      const { roles, resources, users, groups, assignments } = h.server.services;
      const a = await roles.create({ name: 'grant-a' });
      const b = await roles.create({ name: 'grant-b' });
      await roles.imply(a.id, b.id);
      const member = (await roles.findByName('member'))!;
      const reader = (await roles.findByName('reader'))!;
      const extra = await roles.create({ name: 'inherited-role' });
      const dom = await resources.createDomain({ name: 'grants-domain' });
      const p = await resources.createProject({ name: 'grants-project', domain_id: dom.id }, 'default');
      const u = await users.create({ name: 'granted', domain_id: dom.id, password: 'granted-pw' }, 'default');
      const g = await groups.create({ name: 'granted-group', domain_id: dom.id }, 'default');
      await groups.addMember(g.id, u.id);

      const direct = { actor: 'user', actorId: u.id, target: 'project', targetId: p.id, roleId: a.id, inherited: false } as const;
      await assignments.grant(direct);
      await assignments.grant(direct); // idempotent
      await assignments.grant({ actor: 'group', actorId: g.id, target: 'project', targetId: p.id, roleId: member.id, inherited: false });
      await assignments.grant({ actor: 'user', actorId: u.id, target: 'domain', targetId: dom.id, roleId: extra.id, inherited: true });
      await assignments.check(direct);

      const rows = await assignments.list({ actorIds: [u.id] });
      assert.equal(rows.length, 2);
      const inheritedRows = await assignments.list({ actorIds: [u.id], inherited: true });
      assert.deepEqual(inheritedRows.map(grantOf), [
        { actor: 'user', actorId: u.id, target: 'domain', targetId: dom.id, roleId: extra.id, inherited: true },
      ]);
      assert.strictEqual(grantOf((await assignments.list({ actorIds: [u.id], inherited: false }))[0]!).inherited, false);

      const names = (await assignments.rolesOnProject(u.id, p)).map((r) => r.name).sort();
      assert.deepEqual(names, ['grant-a', 'grant-b', 'inherited-role', 'member', 'reader']);
      assert.deepEqual(
        (await assignments.projectsOfUser(u.id)).map((x) => x.id),
        [p.id],
      );

      const tok = await passwordToken({ name: 'granted', domainId: dom.id, password: 'granted-pw' }, { project: { id: p.id } });
      assert.equal(tok.status, 201, tok.text);
      assert.ok(tok.body.token.roles.some((r: { id: string }) => r.id === reader.id));

      await assignments.revoke(direct);
      await assert.rejects(assignments.revoke(direct), isStatus(404));
      await assert.rejects(assignments.check(direct), isStatus(404));
      await resources.updateDomain(dom.id, { enabled: false });
      await resources.deleteDomain(dom.id);
      assert.equal(await count('assignments', ['target_id', p.id]), 0);
      assert.equal(await count('assignments', ['target_id', dom.id]), 0);
    });

    it('stores services, endpoints, application credentials and revocation events', async () => {
      const { catalog, appCreds, roles, revocations } = h.server.services;
      const s = await catalog.createService({ type: 'image', name: 'glance', description: UNICODE, enabled: false });
      const readS = await catalog.getService(s.id);
      assert.strictEqual(readS.enabled, false);
      assert.equal(readS.description, UNICODE);
      const e = await catalog.createEndpoint({
        service_id: s.id,
        region_id: 'RegionOne',
        interface: 'internal',
        url: 'http://controller:9292/%(project_id)s',
        enabled: false,
      });
      assert.deepEqual(await catalog.getEndpoint(e.id), e);
      assert.deepEqual(
        (await catalog.listEndpoints({ serviceId: s.id, interface: 'internal' })).map((x) => x.id),
        [e.id],
      );
      await catalog.deleteService(s.id);
      assert.equal(await count('endpoints', ['service_id', s.id]), 0);

      const admin = (await roles.findByName('admin'))!;
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      const by = {
        userId: h.adminUserId,
        projectId: h.adminProjectId,
        roles: [{ id: admin.id, name: admin.name }],
        viaAppCred: false,
        viaUnrestrictedAppCred: false,
      };
      const ac = await appCreds.create(by, { name: `ac-${UNICODE}`, secret: 'ac-secret', expires_at: expires, unrestricted: false });
      const readAc = await appCreds.get(h.adminUserId, ac.id);
      assert.equal(readAc.expiresAt, ac.expiresAt);
      assert.equal(Date.parse(readAc.expiresAt!), Date.parse(expires));
      assert.strictEqual(readAc.unrestricted, false);
      assert.deepEqual(readAc.roles, [{ id: admin.id, name: 'admin' }]);
      await assert.rejects(appCreds.create(by, { name: `ac-${UNICODE}` }), isConflict);
      const viaAc = await h.request('POST', '/v3/auth/tokens', {
        token: null,
        body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: 'ac-secret' } } } },
      });
      assert.equal(viaAc.status, 201, viaAc.text);
      assert.equal(viaAc.body.token.application_credential.id, ac.id);
      await appCreds.delete(h.adminUserId, ac.id);
      assert.equal(await count('app_cred_roles', ['app_cred_id', ac.id]), 0);

      const before = await count('revocation_events');
      await revocations.revoke({ auditId: 'audit-that-matches-nothing' });
      const events = await revocations.list();
      assert.equal(events.length, before + 1);
      const ev = events.find((x) => x.audit_id === 'audit-that-matches-nothing')!;
      const stored = await db.selectFrom('revocation_events').selectAll().where('id', '=', ev.id).executeTakeFirstOrThrow();
      assert.equal(stored.issued_before, ev.issued_before);
      assert.equal(stored.revoked_at, ev.revoked_at);
      assert.equal(stored.user_id, null);
    });

    it('keeps tokens, revocations and data across a restart on the same database and keys', async () => {
      const { resources, users, roles, assignments } = h.server.services;
      const p = await resources.createProject({ name: 'survivor', tags: ['kept'] }, 'default');
      const u = await users.create({ name: 'survivor-user', password: 'survivor-pw' }, 'default');
      await assignments.grant({
        actor: 'user',
        actorId: u.id,
        target: 'project',
        targetId: p.id,
        roleId: (await roles.findByName('member'))!.id,
        inherited: false,
      });
      const userToken = (await passwordToken({ name: 'survivor-user', password: 'survivor-pw' }, { project: { id: p.id } })).headers.get(
        'x-subject-token',
      )!;
      const revoked = (await passwordToken({ name: 'survivor-user', password: 'survivor-pw' }, { project: { id: p.id } })).headers.get(
        'x-subject-token',
      )!;
      assert.equal((await h.request('DELETE', '/v3/auth/tokens', { headers: { 'x-subject-token': revoked } })).status, 204);
      const adminToken = h.adminToken;

      await h.close();
      await start();

      const adminCheck = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': adminToken } });
      assert.equal(adminCheck.status, 200, adminCheck.text);
      const userCheck = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': userToken } });
      assert.equal(userCheck.status, 200, userCheck.text);
      assert.equal(userCheck.body.token.project.id, p.id);
      assert.deepEqual(userCheck.body.token.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
      assert.equal((await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': revoked } })).status, 404);
      // Using the old admin token to authenticate works too.
      assert.equal((await h.request('GET', '/v3/regions', { token: adminToken })).status, 200);

      assert.deepEqual((await h.server.services.resources.getProject(p.id)).tags, ['kept']);
      assert.equal((await passwordToken({ name: 'survivor-user', password: 'survivor-pw' })).status, 201);
      assert.deepEqual(await migrateToLatest(db as Kysely<unknown>, 'identity', identityMigrations), { applied: [] });
    });
  });
}

for (const backend of backends) identityStorageContract(backend);
