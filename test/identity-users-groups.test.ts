import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

let seq = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++seq}`;

describe('identity: users and groups', () => {
  let h: IdentityHarness;
  before(async () => {
    // Passwords expire, so password_expires_at is set and filterable.
    h = await startIdentity({ env: { KUMO_IDENTITY_PASSWORD_EXPIRES_DAYS: '30' } });
  });
  after(() => h.close());

  async function createUser(body: Record<string, unknown> = {}): Promise<any> {
    const r = await h.request('POST', '/v3/users', { body: { user: { name: uniq('user'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.user;
  }

  async function createGroup(body: Record<string, unknown> = {}): Promise<any> {
    const r = await h.request('POST', '/v3/groups', { body: { group: { name: uniq('group'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.group;
  }

  async function createProject(): Promise<any> {
    const r = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj') } } });
    assert.equal(r.status, 201, r.text);
    return r.body.project;
  }

  async function grantMember(userId: string, projectId: string): Promise<void> {
    const member = await h.server.services.roles.findByName('member');
    assert.ok(member);
    await h.server.services.assignments.grant({
      actor: 'user',
      actorId: userId,
      target: 'project',
      targetId: projectId,
      roleId: member.id,
      inherited: false,
    });
  }

  describe('users', () => {
    it('creates, shows, updates and deletes a user', async () => {
      const name = uniq('user');
      const c = await h.request('POST', '/v3/users', {
        body: {
          user: {
            name,
            password: 'pw-secret-1',
            email: `${name}@example.org`,
            description: 'd',
            options: { ignore_lockout_failure_attempts: true },
          },
        },
      });
      assert.equal(c.status, 201, c.text);
      const u = c.body.user;
      assert.equal(u.name, name);
      assert.equal(u.domain_id, 'default');
      assert.equal(u.enabled, true);
      assert.equal(u.email, `${name}@example.org`);
      assert.equal(u.description, 'd');
      assert.deepEqual(u.options, { ignore_lockout_failure_attempts: true });
      assert.equal(u.password, undefined, 'never echo the password');
      assert.match(u.password_expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      assert.match(u.links.self, new RegExp(`/v3/users/${u.id}$`));

      const g = await h.request('GET', `/v3/users/${u.id}`);
      assert.deepEqual(g.body.user, u);
      assert.equal((await h.request('HEAD', `/v3/users/${u.id}`)).status, 200);

      const project = await createProject();
      const p = await h.request('PATCH', `/v3/users/${u.id}`, {
        body: {
          user: {
            id: u.id,
            name: `${name}-2`,
            enabled: false,
            email: 'new@example.org',
            default_project_id: project.id,
            options: { ignore_lockout_failure_attempts: null },
          },
        },
      });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.user.name, `${name}-2`);
      assert.equal(p.body.user.enabled, false);
      assert.equal(p.body.user.email, 'new@example.org');
      assert.equal(p.body.user.default_project_id, project.id);
      assert.deepEqual(p.body.user.options, {});
      assert.deepEqual((await h.request('GET', `/v3/users/${u.id}`)).body.user, p.body.user);

      assert.equal((await h.request('DELETE', `/v3/users/${u.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/users/${u.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/users/${u.id}`)).status, 404);
      assert.equal((await h.request('PATCH', `/v3/users/${u.id}`, { body: { user: { name: 'x' } } })).status, 404);
    });

    it('creates users in another domain and refuses unknown domains (404) and duplicates (409)', async () => {
      const d = await h.request('POST', '/v3/domains', { body: { domain: { name: uniq('dom') } } });
      const u = await createUser({ domain_id: d.body.domain.id });
      assert.equal(u.domain_id, d.body.domain.id);
      const same = await createUser({ name: u.name });
      assert.equal(same.domain_id, 'default', 'names are unique per domain');
      const dup = await h.request('POST', '/v3/users', { body: { user: { name: u.name, domain_id: d.body.domain.id } } });
      assert.equal(dup.status, 409);
      const missing = await h.request('POST', '/v3/users', { body: { user: { name: uniq('u'), domain_id: 'f'.repeat(32) } } });
      assert.equal(missing.status, 404);
      const domainAsProject = await h.request('POST', '/v3/users', { body: { user: { name: uniq('u'), default_project_id: 'default' } } });
      assert.equal(domainAsProject.status, 400);
      const rename = await h.request('PATCH', `/v3/users/${same.id}`, { body: { user: { domain_id: d.body.domain.id } } });
      assert.equal(rename.status, 400, 'domain_id is immutable');
    });

    it('rejects bad user bodies with 400', async () => {
      const bad = [
        { user: { name: '' } },
        { user: { name: 'a'.repeat(256) } },
        { user: { name: uniq('u'), enabled: 'true' } },
        { user: { name: uniq('u'), password: 123 } },
        { user: { name: uniq('u'), options: { no_such_option: true } } },
        { user: { name: uniq('u'), options: { lock_password: 'yes' } } },
        { user: { name: uniq('u'), default_project_id: 12 } },
        { user: { name: uniq('u') }, extra: 1 },
        { user: { email: 'nameless@example.org' } },
      ];
      for (const body of bad) {
        const r = await h.request('POST', '/v3/users', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.body.error.code, 400);
      }
      const u = await createUser();
      assert.equal((await h.request('PATCH', `/v3/users/${u.id}`, { body: { user: {} } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/users/${u.id}`, { body: { user: { id: 'other' } } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/users/${u.id}`, { body: { user: { enabled: 1 } } })).status, 400);
    });

    it('filters the user list', async () => {
      const d = await h.request('POST', '/v3/domains', { body: { domain: { name: uniq('dom') } } });
      const domainId = d.body.domain.id;
      const withPw = await createUser({ domain_id: domainId, password: 'pw-secret-2' });
      const disabled = await createUser({ domain_id: domainId, enabled: false });
      const ids = async (qs: string): Promise<string[]> => {
        const r = await h.request('GET', `/v3/users?${qs}`);
        assert.equal(r.status, 200, `${qs}: ${r.text}`);
        return r.body.users.map((x: any) => x.id);
      };
      assert.deepEqual((await ids(`domain_id=${domainId}`)).sort(), [withPw.id, disabled.id].sort());
      assert.deepEqual(await ids(`domain_id=${domainId}&enabled=false`), [disabled.id]);
      assert.deepEqual(await ids(`domain_id=${domainId}&enabled=true`), [withPw.id]);
      assert.deepEqual(await ids(`name=${withPw.name}`), [withPw.id]);
      assert.ok((await ids('')).includes(h.adminUserId));

      const later = new Date(Date.now() + 60 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const earlier = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      assert.deepEqual(await ids(`domain_id=${domainId}&password_expires_at=lt:${later}`), [withPw.id], 'users without expiry never match');
      assert.deepEqual(await ids(`domain_id=${domainId}&password_expires_at=gt:${earlier}`), [withPw.id]);
      assert.deepEqual(await ids(`domain_id=${domainId}&password_expires_at=lte:${earlier}`), []);
      assert.deepEqual(await ids(`domain_id=${domainId}&password_expires_at=${later}`), [], 'eq by default');
      assert.equal((await h.request('GET', `/v3/users?password_expires_at=foo:${later}`)).status, 400);
      assert.equal((await h.request('GET', '/v3/users?password_expires_at=lt:yesterday')).status, 400);
    });

    it('lets a user change its own password without a token', async () => {
      const name = uniq('selfsvc');
      const user = await createUser({ name, password: 'old-password-1' });
      const project = await createProject();
      await grantMember(user.id, project.id);
      const oldToken = await h.token({ name, password: 'old-password-1' }, { project: { id: project.id } });
      assert.equal((await h.request('GET', `/v3/users/${user.id}`, { token: oldToken })).status, 200);

      const path = `/v3/users/${user.id}/password`;
      const wrong = await h.request('POST', path, {
        token: null,
        body: { user: { original_password: 'nope', password: 'new-password-2' } },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 401);
      assert.equal((await h.request('POST', path, { token: null, body: { user: { password: 'x' } } })).status, 400);
      assert.equal(
        (await h.request('POST', path, { token: null, body: { user: { password: 'x', original_password: 'y', extra: 1 } } })).status,
        400,
      );
      assert.equal((await h.request('POST', path, { token: null, body: { password: 'x', original_password: 'y' } })).status, 400);
      const ghost = await h.request('POST', `/v3/users/${'f'.repeat(32)}/password`, {
        token: null,
        body: { user: { password: 'x', original_password: 'y' } },
      });
      assert.equal(ghost.status, 401);

      const ok = await h.request('POST', path, {
        token: null,
        body: { user: { original_password: 'old-password-1', password: 'new-password-2' } },
      });
      assert.equal(ok.status, 204, ok.text);
      assert.equal(ok.text, '');

      assert.equal((await h.request('GET', `/v3/users/${user.id}`, { token: oldToken })).status, 401, 'old token revoked');
      await assert.rejects(h.token({ name, password: 'old-password-1' }), /401/);
      const fresh = await h.token({ name, password: 'new-password-2' }, { project: { id: project.id } });
      assert.equal((await h.request('GET', `/v3/users/${user.id}`, { token: fresh })).status, 200);
    });

    it('lists the projects and groups of a user', async () => {
      const user = await createUser();
      const p1 = await createProject();
      const p2 = await createProject();
      await grantMember(user.id, p1.id);
      await grantMember(user.id, p2.id);
      const projects = await h.request('GET', `/v3/users/${user.id}/projects`);
      assert.equal(projects.status, 200);
      assert.deepEqual(projects.body.projects.map((x: any) => x.id).sort(), [p1.id, p2.id].sort());
      assert.deepEqual(
        projects.body.projects.find((x: any) => x.id === p1.id),
        p1,
      );
      const byName = await h.request('GET', `/v3/users/${user.id}/projects?name=${p2.name}`);
      assert.deepEqual(
        byName.body.projects.map((x: any) => x.id),
        [p2.id],
      );
      assert.equal((await h.request('GET', `/v3/users/${'f'.repeat(32)}/projects`)).status, 404);

      const g1 = await createGroup();
      const g2 = await createGroup();
      await createGroup();
      for (const g of [g1, g2]) assert.equal((await h.request('PUT', `/v3/groups/${g.id}/users/${user.id}`)).status, 204);
      const groups = await h.request('GET', `/v3/users/${user.id}/groups`);
      assert.equal(groups.status, 200);
      const listed = groups.body.groups.map((x: any) => {
        assert.equal(x.membership_expires_at, null);
        const { membership_expires_at: _, ...rest } = x;
        return rest;
      });
      assert.deepEqual(
        listed.sort((a: any, b: any) => a.name.localeCompare(b.name)),
        [g1, g2].sort((a, b) => a.name.localeCompare(b.name)),
      );
      assert.equal((await h.request('GET', `/v3/users/${'f'.repeat(32)}/groups`)).status, 404);
    });
  });

  describe('groups', () => {
    it('creates, shows, updates, lists and deletes a group', async () => {
      const d = await h.request('POST', '/v3/domains', { body: { domain: { name: uniq('dom') } } });
      const domainId = d.body.domain.id;
      const g = await createGroup({ domain_id: domainId, description: 'first', colour: 'green' });
      assert.equal(g.domain_id, domainId);
      assert.equal(g.description, 'first');
      assert.equal(g.colour, 'green');
      assert.match(g.links.self, new RegExp(`/v3/groups/${g.id}$`));
      assert.deepEqual((await h.request('GET', `/v3/groups/${g.id}`)).body.group, g);

      const u = await h.request('PATCH', `/v3/groups/${g.id}`, { body: { group: { name: `${g.name}-2` } } });
      assert.equal(u.status, 200);
      assert.equal(u.body.group.name, `${g.name}-2`);
      assert.equal(u.body.group.description, 'first', 'untouched');
      assert.equal(u.body.group.domain_id, domainId);

      const other = await createGroup();
      assert.equal(other.domain_id, 'default');
      const ids = async (qs: string) => (await h.request('GET', `/v3/groups?${qs}`)).body.groups.map((x: any) => x.id);
      assert.deepEqual(await ids(`domain_id=${domainId}`), [g.id]);
      assert.deepEqual(await ids(`name=${other.name}`), [other.id]);
      assert.ok((await ids('')).includes(g.id));

      assert.equal((await h.request('DELETE', `/v3/groups/${g.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/groups/${g.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/groups/${g.id}`)).status, 404);
    });

    it('rejects bad group bodies (400), unknown domains (404) and duplicates (409)', async () => {
      for (const body of [
        { group: { name: '' } },
        { group: { name: 5 } },
        { group: { description: 'x' } },
        { group: { name: uniq('g') }, x: 1 },
      ]) {
        const r = await h.request('POST', '/v3/groups', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      }
      const g = await createGroup();
      assert.equal((await h.request('POST', '/v3/groups', { body: { group: { name: g.name } } })).status, 409);
      assert.equal(
        (await h.request('POST', '/v3/groups', { body: { group: { name: uniq('g'), domain_id: 'f'.repeat(32) } } })).status,
        404,
      );
      assert.equal((await h.request('PATCH', `/v3/groups/${g.id}`, { body: { group: {} } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/groups/${g.id}`, { body: { group: { domain_id: 'other' } } })).status, 400);
      assert.equal((await h.request('PATCH', '/v3/groups/nope', { body: { group: { name: 'x' } } })).status, 404);
    });

    it('adds, checks, lists and removes members', async () => {
      const g = await createGroup();
      const users = [await createUser({ password: 'pw-secret-3' }), await createUser(), await createUser({ enabled: false })];
      for (const u of users) {
        const r = await h.request('PUT', `/v3/groups/${g.id}/users/${u.id}`);
        assert.equal(r.status, 204, r.text);
      }
      assert.equal((await h.request('PUT', `/v3/groups/${g.id}/users/${users[0].id}`)).status, 204, 'idempotent');
      const list = await h.request('GET', `/v3/groups/${g.id}/users`);
      assert.equal(list.status, 200);
      const byName = (a: any, b: any) => a.name.localeCompare(b.name);
      assert.deepEqual([...list.body.users].sort(byName), [...users].sort(byName), 'members render like created users');
      const enabled = await h.request('GET', `/v3/groups/${g.id}/users?enabled=true`);
      assert.deepEqual(enabled.body.users.map((x: any) => x.id).sort(), [users[0].id, users[1].id].sort());
      const later = new Date(Date.now() + 60 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const expiring = await h.request('GET', `/v3/groups/${g.id}/users?password_expires_at=lt:${later}`);
      assert.deepEqual(
        expiring.body.users.map((x: any) => x.id),
        [users[0].id],
      );

      const head = await h.request('HEAD', `/v3/groups/${g.id}/users/${users[1].id}`);
      assert.equal(head.status, 204);
      const stranger = await createUser();
      assert.equal((await h.request('HEAD', `/v3/groups/${g.id}/users/${stranger.id}`)).status, 404);
      assert.equal((await h.request('HEAD', `/v3/groups/${g.id}/users/nope`)).status, 404);
      assert.equal((await h.request('HEAD', `/v3/groups/nope/users/${users[1].id}`)).status, 404);
      assert.equal((await h.request('PUT', `/v3/groups/${g.id}/users/nope`)).status, 404);
      assert.equal((await h.request('PUT', `/v3/groups/nope/users/${stranger.id}`)).status, 404);

      assert.equal((await h.request('DELETE', `/v3/groups/${g.id}/users/${users[1].id}`)).status, 204);
      assert.equal((await h.request('HEAD', `/v3/groups/${g.id}/users/${users[1].id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/groups/${g.id}/users/${users[1].id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/groups/${g.id}/users/${stranger.id}`)).status, 404);
      assert.equal((await h.request('GET', '/v3/groups/nope/users')).status, 404);

      // Deleting a user or the group removes memberships.
      assert.equal((await h.request('DELETE', `/v3/users/${users[2].id}`)).status, 204);
      assert.deepEqual(
        (await h.request('GET', `/v3/groups/${g.id}/users`)).body.users.map((x: any) => x.id),
        [users[0].id],
      );
      assert.equal((await h.request('DELETE', `/v3/groups/${g.id}`)).status, 204);
      assert.deepEqual((await h.request('GET', `/v3/users/${users[0].id}/groups`)).body.groups, []);
    });
  });

  describe('authorization of a project member', () => {
    let memberToken: string;
    let me: any;
    let other: any;
    let group: any;

    before(async () => {
      const project = await createProject();
      me = await createUser({ password: 'member-pw-1' });
      other = await createUser();
      group = await createGroup();
      await grantMember(me.id, project.id);
      memberToken = await h.token({ name: me.name, password: 'member-pw-1' }, { project: { id: project.id } });
    });

    it('reads itself, its projects and its groups, nobody else', async () => {
      const t = { token: memberToken };
      const self = await h.request('GET', `/v3/users/${me.id}`, t);
      assert.equal(self.status, 200);
      assert.equal(self.body.user.id, me.id);
      assert.equal((await h.request('GET', `/v3/users/${me.id}/projects`, t)).status, 200);
      assert.equal((await h.request('GET', `/v3/users/${me.id}/groups`, t)).status, 200);
      for (const path of [
        '/v3/users',
        `/v3/users/${other.id}`,
        `/v3/users/${h.adminUserId}`,
        `/v3/users/${other.id}/projects`,
        `/v3/users/${other.id}/groups`,
        '/v3/groups',
        `/v3/groups/${group.id}`,
        `/v3/groups/${group.id}/users`,
      ]) {
        const r = await h.request('GET', path, t);
        assert.equal(r.status, 403, `GET ${path}: ${r.text}`);
      }
      assert.equal((await h.request('HEAD', `/v3/groups/${group.id}/users/${me.id}`, t)).status, 403);
    });

    it('cannot create, change or delete users, groups or memberships', async () => {
      const t = { token: memberToken };
      const checks: [string, string, unknown][] = [
        ['POST', '/v3/users', { user: { name: uniq('u') } }],
        ['PATCH', `/v3/users/${me.id}`, { user: { enabled: true } }],
        ['PATCH', `/v3/users/${other.id}`, { user: { enabled: false } }],
        ['DELETE', `/v3/users/${other.id}`, undefined],
        ['DELETE', `/v3/users/${me.id}`, undefined],
        ['POST', '/v3/groups', { group: { name: uniq('g') } }],
        ['PATCH', `/v3/groups/${group.id}`, { group: { name: 'mine' } }],
        ['DELETE', `/v3/groups/${group.id}`, undefined],
        ['PUT', `/v3/groups/${group.id}/users/${me.id}`, undefined],
        ['DELETE', `/v3/groups/${group.id}/users/${me.id}`, undefined],
      ];
      for (const [method, path, body] of checks) {
        const r = await h.request(method, path, { ...t, body });
        assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
        assert.equal(r.body.error.code, 403);
      }
      assert.equal((await h.request('GET', `/v3/users/${other.id}`)).body.user.enabled, true, 'unchanged');
      assert.equal((await h.request('HEAD', `/v3/groups/${group.id}/users/${me.id}`)).status, 404, 'not added');
    });
  });
});
