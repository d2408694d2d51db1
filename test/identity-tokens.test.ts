import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FernetKeyRepository } from '../src/lib/crypto/fernet-key-repository.js';
import { sealToken } from '../src/identity/domain/token-format.js';
import { ADMIN_PASSWORD, startIdentity, type IdentityHarness } from './support/identity-harness.js';

describe('identity tokens and scopes', () => {
  let h: IdentityHarness;
  let userId: string;
  let projectId: string;
  const password = 'scope-user-pass';
  const pw = (scope?: unknown) =>
    h.request('POST', '/v3/auth/tokens', {
      token: null,
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { id: userId, password } } },
          ...(scope === undefined ? {} : { scope }),
        },
      },
    });

  before(async () => {
    h = await startIdentity();
    const svc = h.server.services;
    const project = await svc.resources.createProject({ name: 'scoped' }, 'default');
    projectId = project.id;
    const user = await svc.users.create({ name: 'scope-user', password, default_project_id: project.id }, 'default');
    userId = user.id;
    const reader = await svc.roles.findByName('reader');
    const member = await svc.roles.findByName('member');
    await svc.assignments.grant({
      actor: 'user',
      actorId: userId,
      target: 'project',
      targetId: project.id,
      roleId: member!.id,
      inherited: false,
    });
    await svc.assignments.grant({
      actor: 'user',
      actorId: userId,
      target: 'domain',
      targetId: 'default',
      roleId: reader!.id,
      inherited: false,
    });
    await svc.assignments.grant({
      actor: 'user',
      actorId: userId,
      target: 'system',
      targetId: 'all',
      roleId: reader!.id,
      inherited: false,
    });
  });
  after(() => h.close());

  it('scopes to the default project when no scope is asked, and stays unscoped when told', async () => {
    const r = await pw();
    assert.equal(r.status, 201);
    assert.equal(r.body.token.project.id, projectId);
    assert.deepEqual(r.body.token.roles.map((x: { name: string }) => x.name).sort(), ['member', 'reader']);
    const u = await pw('unscoped');
    assert.equal(u.body.token.project, undefined);
    assert.equal(u.body.token.catalog, undefined);
  });

  it('issues domain- and system-scoped tokens with their roles', async () => {
    const d = await pw({ domain: { id: 'default' } });
    assert.equal(d.status, 201, d.text);
    assert.deepEqual(d.body.token.domain, { id: 'default', name: 'Default' });
    assert.deepEqual(
      d.body.token.roles.map((x: { name: string }) => x.name),
      ['reader'],
    );
    const s = await pw({ system: { all: true } });
    assert.equal(s.status, 201, s.text);
    assert.deepEqual(s.body.token.system, { all: true });
    assert.ok(Array.isArray(s.body.token.catalog));
    assert.equal((await pw({ project: { name: 'admin', domain: { name: 'Default' } } })).status, 401, 'no role on the admin project');
    assert.equal((await pw({ project: { id: projectId }, domain: { id: 'default' } })).status, 400, 'two scopes at once');
  });

  it('answers /v3/auth/projects, domains, system and catalog for the caller', async () => {
    const token = (await pw()).headers.get('x-subject-token')!;
    const projects = await h.request('GET', '/v3/auth/projects', { token });
    assert.deepEqual(
      projects.body.projects.map((p: { id: string }) => p.id),
      [projectId],
    );
    const domains = await h.request('GET', '/v3/auth/domains', { token });
    assert.deepEqual(
      domains.body.domains.map((d: { id: string }) => d.id),
      ['default'],
    );
    const system = await h.request('GET', '/v3/auth/system', { token });
    assert.deepEqual(system.body.system, [{ all: true }]);
    const catalog = await h.request('GET', '/v3/auth/catalog', { token });
    assert.equal(catalog.body.catalog[0].type, 'identity');
    const unscoped = (await pw('unscoped')).headers.get('x-subject-token')!;
    assert.equal((await h.request('GET', '/v3/auth/catalog', { token: unscoped })).status, 403);
  });

  it('rescopes with the token method, keeping audit chain and methods, never outliving the parent', async () => {
    const parent = await pw('unscoped');
    const child = await h.request('POST', '/v3/auth/tokens', {
      token: null,
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: parent.headers.get('x-subject-token') } },
          scope: { project: { id: projectId } },
        },
      },
    });
    assert.equal(child.status, 201, child.text);
    assert.deepEqual(child.body.token.methods.sort(), ['password', 'token']);
    assert.equal(child.body.token.audit_ids[1], parent.body.token.audit_ids[0]);
    assert.ok(Date.parse(child.body.token.expires_at) <= Date.parse(parent.body.token.expires_at));
  });

  it('validates (GET, HEAD, nocatalog) and revokes; a revoked token is a 404 and a 401', async () => {
    const token = (await pw()).headers.get('x-subject-token')!;
    const headers = { 'x-subject-token': token };
    assert.equal((await h.request('HEAD', '/v3/auth/tokens', { headers })).status, 200);
    const nocat = await h.request('GET', '/v3/auth/tokens?nocatalog', { headers });
    assert.equal(nocat.body.token.catalog, undefined);
    // The owner may validate and revoke its own token.
    assert.equal((await h.request('GET', '/v3/auth/tokens', { token, headers })).status, 200);
    assert.equal((await h.request('DELETE', '/v3/auth/tokens', { token, headers })).status, 204);
    assert.equal((await h.request('GET', '/v3/auth/tokens', { headers })).status, 404);
    assert.equal((await h.request('GET', '/v3/auth/projects', { token })).status, 401);
  });

  it('stops accepting tokens of a disabled user, and accepts new ones once re-enabled', async () => {
    const token = (await pw()).headers.get('x-subject-token')!;
    await h.server.services.users.update(userId, { enabled: false });
    assert.equal((await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } })).status, 404);
    assert.equal((await pw()).status, 401);
    await h.server.services.users.update(userId, { enabled: true });
    assert.equal((await pw()).status, 201);
  });

  it('keeps validating tokens across a key rotation', async () => {
    const token = (await pw()).headers.get('x-subject-token')!;
    const keys = new FernetKeyRepository({ dir: h.config.identity.keyDir, maxActiveKeys: 3 });
    keys.rotate();
    h.server.services.tokens.reloadKeys();
    const fresh = (await pw()).headers.get('x-subject-token')!;
    for (const t of [token, fresh])
      assert.equal((await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': t } })).status, 200);
    keys.rotate();
    keys.rotate();
    h.server.services.tokens.reloadKeys();
    // Three rotations later with three active keys, the first key is gone: its tokens, the
    // harness's admin token included, no longer validate; tokens of the new primary do.
    assert.equal((await h.request('GET', '/v3/auth/projects', { token: h.adminToken })).status, 401);
    const admin = await h.token({ name: 'admin', password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { name: 'Default' } } });
    assert.equal((await h.request('GET', '/v3/auth/tokens', { token: admin, headers: { 'x-subject-token': token } })).status, 404);
  });
});

describe('identity policy file overrides', () => {
  let h: IdentityHarness;
  before(async () => {
    const file = join(process.env.TMPDIR ?? '/tmp', `kumo-policy-${process.pid}.yaml`);
    await writeFile(file, '"identity:list_regions": "role:admin"\n"identity:get_region": "!"\n');
    h = await startIdentity({ env: { KUMO_IDENTITY_POLICY_FILE: file } });
  });
  after(() => h.close());

  it('applies the operator rules instead of the defaults', async () => {
    assert.equal((await h.request('GET', '/v3/regions')).status, 200);
    assert.equal((await h.request('GET', '/v3/regions/RegionOne')).status, 403, 'get_region is "!" (never)');
    const svc = h.server.services;
    await svc.users.create({ name: 'plain', password: 'plain-password' }, 'default');
    const plain = await h.token({ name: 'plain', password: 'plain-password' }, 'unscoped');
    assert.equal((await h.request('GET', '/v3/regions', { token: plain })).status, 403, 'default allows anyone; the file demands admin');
  });
});

describe('identity: expired tokens and imported password hashes', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await startIdentity();
  });
  after(() => h.close());

  it('rejects an expired token (401 as X-Auth-Token, 404 as subject) unless allow_expired is asked', async () => {
    const keys = new FernetKeyRepository({ dir: h.config.identity.keyDir }).load();
    const now = Date.now();
    const expired = sealToken(keys.primary, {
      userId: h.adminUserId,
      methods: ['password'],
      scope: { kind: 'project', id: h.adminProjectId },
      expiresAt: now - 60_000,
      issuedAt: now - 3_660_000,
      auditIds: ['expired-audit-id-0000'],
    });
    assert.equal((await h.request('GET', '/v3/auth/projects', { token: expired })).status, 401);
    assert.equal((await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': expired } })).status, 404);
    const allowed = await h.request('GET', '/v3/auth/tokens?allow_expired=1', { headers: { 'x-subject-token': expired } });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.body.token.audit_ids[0], 'expired-audit-id-0000');
  });

  it('accepts bcrypt and sha512_crypt hashes imported from Keystone and upgrades them to argon2id', async () => {
    const svc = h.server.services;
    const db = svc.ctx.db;
    const cases = [
      ['bcrypt-user', 'bcrypt-password', (await import('bcryptjs')).default.hashSync('bcrypt-password', 4)],
      [
        'sha512-user',
        'Hello world!',
        '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
      ],
    ] as const;
    for (const [name, password, hash] of cases) {
      const u = await svc.users.create({ name }, 'default');
      await db
        .insertInto('passwords')
        .values({
          id: `${name}-pw`,
          user_id: u.id,
          hash,
          created_at: new Date().toISOString(),
          created_at_ms: Date.now(),
          expires_at: null,
          self_service: 0,
        })
        .execute();
      const r = await h.request('POST', '/v3/auth/tokens', {
        token: null,
        body: { auth: { identity: { methods: ['password'], password: { user: { id: u.id, password } } } } },
      });
      assert.equal(r.status, 201, `${name}: ${r.text}`);
      const stored = await db.selectFrom('passwords').select('hash').where('user_id', '=', u.id).executeTakeFirstOrThrow();
      assert.match(stored.hash, /^\$argon2id\$/, `${name} hash upgraded on login`);
    }
  });
});
