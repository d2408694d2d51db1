import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

describe('identity: roles and implied roles', () => {
  let h: IdentityHarness;
  let n = 0;
  const uniq = (prefix: string): string => `${prefix}-${++n}-${Date.now().toString(36)}`;

  async function createRole(body: Record<string, unknown> = {}): Promise<any> {
    const r = await h.request('POST', '/v3/roles', { body: { role: { name: uniq('role'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.role;
  }

  async function createDomain(): Promise<any> {
    const r = await h.request('POST', '/v3/domains', { body: { domain: { name: uniq('dom') } } });
    assert.equal(r.status, 201, r.text);
    return r.body.domain;
  }

  async function createProject(domainId = 'default'): Promise<any> {
    const r = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj'), domain_id: domainId } } });
    assert.equal(r.status, 201, r.text);
    return r.body.project;
  }

  /** A user with a password in `domainId`, and the token it gets on `projectId` once granted `roleId` there. */
  async function userWithRole(
    projectId: string,
    roleId: string,
    domainId = 'default',
  ): Promise<{ user: any; token: string; password: string }> {
    const password = 'user-secret-1';
    const u = await h.request('POST', '/v3/users', { body: { user: { name: uniq('user'), password, domain_id: domainId } } });
    assert.equal(u.status, 201, u.text);
    const g = await h.request('PUT', `/v3/projects/${projectId}/users/${u.body.user.id}/roles/${roleId}`);
    assert.equal(g.status, 204, g.text);
    const token = await h.token(
      { name: u.body.user.name, password, domain: domainId === 'default' ? 'Default' : undefined },
      { project: { id: projectId } },
    );
    return { user: u.body.user, token, password };
  }

  async function roleId(name: string): Promise<string> {
    const r = await h.request('GET', `/v3/roles?name=${name}`);
    return r.body.roles[0].id;
  }

  before(async () => {
    h = await startIdentity();
  });
  after(() => h.close());

  describe('CRUD', () => {
    it('creates, shows, updates, lists and deletes a role', async () => {
      const name = uniq('crud');
      const c = await h.request('POST', '/v3/roles', { body: { role: { name, description: 'first', color: 'blue' } } });
      assert.equal(c.status, 201, c.text);
      const role = c.body.role;
      assert.equal(role.name, name);
      assert.equal(role.domain_id, null);
      assert.equal(role.description, 'first');
      assert.equal(role.color, 'blue', 'unknown attributes are kept as extras');
      assert.deepEqual(role.options, {});
      assert.equal(role.links.self, `${h.url}/v3/roles/${role.id}`);

      const shown = await h.request('GET', `/v3/roles/${role.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.role, role);

      // Tempest compares listed roles with the created ones as whole objects.
      const list = await h.request('GET', '/v3/roles');
      assert.equal(list.status, 200);
      assert.ok(list.body.roles.some((r: any) => JSON.stringify(r) === JSON.stringify(role)));
      assert.equal(list.body.links.self, `${h.url}/v3/roles`);
      assert.equal(list.body.links.next, null);

      const byName = await h.request('GET', `/v3/roles?name=${name}`);
      assert.deepEqual(
        byName.body.roles.map((r: any) => r.id),
        [role.id],
      );

      const newName = uniq('renamed');
      const up = await h.request('PATCH', `/v3/roles/${role.id}`, { body: { role: { name: newName, description: null } } });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.body.role.name, newName);
      assert.equal(up.body.role.description, null);
      assert.equal((await h.request('GET', `/v3/roles/${role.id}`)).body.role.name, newName);

      assert.equal((await h.request('DELETE', `/v3/roles/${role.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/roles/${role.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/roles/${role.id}`)).status, 404);
    });

    it('answers 400, 404 and 409 as Keystone does', async () => {
      const role = await createRole();
      const dup = await h.request('POST', '/v3/roles', { body: { role: { name: role.name } } });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 409);
      assert.equal((await h.request('POST', '/v3/roles', { body: { role: {} } })).status, 400);
      assert.equal((await h.request('POST', '/v3/roles', { body: { role: { name: '' } } })).status, 400);
      assert.equal((await h.request('POST', '/v3/roles', { body: { role: { name: 'x'.repeat(256) } } })).status, 400);
      assert.equal((await h.request('POST', '/v3/roles', { body: { role: { name: 42 } } })).status, 400);
      assert.equal((await h.request('POST', '/v3/roles', { body: { role: { name: uniq('r') }, extra: 1 } })).status, 400);
      assert.equal((await h.request('POST', '/v3/roles', { body: { role: { name: uniq('r'), options: { bogus: true } } } })).status, 400);
      assert.equal(
        (await h.request('POST', '/v3/roles', { body: { role: { name: uniq('r'), domain_id: 'no-such-domain' } } })).status,
        404,
      );
      assert.equal((await h.request('PATCH', `/v3/roles/${role.id}`, { body: { role: {} } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/roles/${role.id}`, { body: { role: { id: 'other' } } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/roles/${role.id}`, { body: { role: { domain_id: 'default' } } })).status, 400);
      assert.equal((await h.request('PATCH', '/v3/roles/no-such-role', { body: { role: { name: 'x' } } })).status, 404);
      const other = await createRole();
      assert.equal((await h.request('PATCH', `/v3/roles/${other.id}`, { body: { role: { name: role.name } } })).status, 409);
      assert.equal((await h.request('GET', '/v3/roles/no-such-role')).status, 404);
    });

    it('protects immutable roles until the option is cleared', async () => {
      const role = await createRole({ options: { immutable: true } });
      assert.deepEqual(role.options, { immutable: true });
      assert.equal((await h.request('PATCH', `/v3/roles/${role.id}`, { body: { role: { description: 'x' } } })).status, 403);
      assert.equal((await h.request('DELETE', `/v3/roles/${role.id}`)).status, 403);
      const cleared = await h.request('PATCH', `/v3/roles/${role.id}`, { body: { role: { options: { immutable: null } } } });
      assert.equal(cleared.status, 200, cleared.text);
      assert.deepEqual(cleared.body.role.options, {});
      assert.equal((await h.request('DELETE', `/v3/roles/${role.id}`)).status, 204);
    });

    it('keeps domain-specific roles out of the default list', async () => {
      const dom = await createDomain();
      const role = await createRole({ domain_id: dom.id });
      assert.equal(role.domain_id, dom.id);
      const inDomain = await h.request('GET', `/v3/roles?domain_id=${dom.id}`);
      assert.equal(inDomain.status, 200);
      assert.deepEqual(inDomain.body.roles, [role]);
      const global = await h.request('GET', '/v3/roles');
      assert.ok(!global.body.roles.some((r: any) => r.id === role.id));
      assert.ok(global.body.roles.every((r: any) => r.domain_id === null));
      // The same name may exist once globally and once per domain.
      const sameName = await h.request('POST', '/v3/roles', { body: { role: { name: role.name } } });
      assert.equal(sameName.status, 201, sameName.text);
      assert.equal((await h.request('DELETE', `/v3/roles/${role.id}`)).status, 204);
      assert.deepEqual((await h.request('GET', `/v3/roles?domain_id=${dom.id}`)).body.roles, []);
    });
  });

  describe('implied roles', () => {
    it('creates, checks, shows, lists and deletes an inference rule', async () => {
      const prior = await createRole();
      const implied = await createRole();
      const url = `/v3/roles/${prior.id}/implies/${implied.id}`;
      const put = await h.request('PUT', url);
      assert.equal(put.status, 201, put.text);
      assert.deepEqual(put.body.role_inference, {
        prior_role: { id: prior.id, name: prior.name, links: { self: `${h.url}/v3/roles/${prior.id}` } },
        implies: { id: implied.id, name: implied.name, links: { self: `${h.url}/v3/roles/${implied.id}` } },
      });
      assert.equal(put.body.links.self, `${h.url}${url}`);

      const get = await h.request('GET', url);
      assert.equal(get.status, 200);
      assert.deepEqual(get.body.role_inference, put.body.role_inference);
      const head = await h.request('HEAD', url);
      assert.equal(head.status, 204);
      assert.equal(head.text, '');

      const list = await h.request('GET', `/v3/roles/${prior.id}/implies`);
      assert.equal(list.status, 200);
      assert.equal(list.body.role_inference.prior_role.id, prior.id);
      assert.deepEqual(
        list.body.role_inference.implies.map((r: any) => r.id),
        [implied.id],
      );
      assert.equal(list.body.links.self, `${h.url}/v3/roles/${prior.id}/implies`);

      const all = await h.request('GET', '/v3/role_inferences');
      assert.equal(all.status, 200);
      const rule = all.body.role_inferences.find((x: any) => x.prior_role.id === prior.id);
      assert.deepEqual(
        rule.implies.map((r: any) => r.id),
        [implied.id],
      );
      // The bootstrap's admin → member → reader chain is listed too.
      const admin = all.body.role_inferences.find((x: any) => x.prior_role.name === 'admin');
      assert.deepEqual(
        admin.implies.map((r: any) => r.name),
        ['member'],
      );

      assert.equal((await h.request('DELETE', url)).status, 204);
      assert.equal((await h.request('GET', url)).status, 404);
      assert.equal((await h.request('HEAD', url)).status, 404);
      assert.equal((await h.request('DELETE', url)).status, 404);
      assert.deepEqual((await h.request('GET', `/v3/roles/${prior.id}/implies`)).body.role_inference.implies, []);
    });

    it('lists only direct implications, and the whole graph in role_inferences', async () => {
      const [a, b, c, d] = [await createRole(), await createRole(), await createRole(), await createRole()];
      for (const [p, i] of [
        [a, b],
        [a, c],
        [c, d],
      ])
        assert.equal((await h.request('PUT', `/v3/roles/${p.id}/implies/${i.id}`)).status, 201);
      const fromA = (await h.request('GET', `/v3/roles/${a.id}/implies`)).body.role_inference.implies.map((r: any) => r.id).sort();
      assert.deepEqual(fromA, [b.id, c.id].sort());
      const fromC = (await h.request('GET', `/v3/roles/${c.id}/implies`)).body.role_inference.implies.map((r: any) => r.id);
      assert.deepEqual(fromC, [d.id]);
      const rules = (await h.request('GET', '/v3/role_inferences')).body.role_inferences;
      const relevant = rules
        .filter((r: any) => [a.id, c.id].includes(r.prior_role.id))
        .sort((x: any, y: any) => x.implies.length - y.implies.length);
      assert.equal(relevant.length, 2);
      assert.equal(relevant[0].prior_role.id, c.id);
      assert.equal(relevant[1].implies.length, 2);
    });

    it('refuses cycles, implying admin and global roles implying domain roles with 403', async () => {
      const a = await createRole();
      const b = await createRole();
      assert.equal((await h.request('PUT', `/v3/roles/${a.id}/implies/${b.id}`)).status, 201);
      assert.equal((await h.request('PUT', `/v3/roles/${b.id}/implies/${a.id}`)).status, 403);
      assert.equal((await h.request('PUT', `/v3/roles/${a.id}/implies/${a.id}`)).status, 403);
      assert.equal((await h.request('PUT', `/v3/roles/${a.id}/implies/${await roleId('admin')}`)).status, 403);

      const dom = await createDomain();
      const dom2 = await createDomain();
      const d1 = await createRole({ domain_id: dom.id });
      const d2 = await createRole({ domain_id: dom.id });
      const d3 = await createRole({ domain_id: dom2.id });
      assert.equal((await h.request('PUT', `/v3/roles/${d1.id}/implies/${d2.id}`)).status, 201);
      assert.equal((await h.request('PUT', `/v3/roles/${d1.id}/implies/${d3.id}`)).status, 201);
      assert.equal((await h.request('PUT', `/v3/roles/${d1.id}/implies/${a.id}`)).status, 201);
      assert.equal((await h.request('PUT', `/v3/roles/${a.id}/implies/${d1.id}`)).status, 403);
    });

    it('answers 404 for unknown roles on every implication route', async () => {
      const a = await createRole();
      for (const url of [`/v3/roles/${a.id}/implies/nope`, `/v3/roles/nope/implies/${a.id}`]) {
        for (const m of ['PUT', 'GET', 'DELETE']) assert.equal((await h.request(m, url)).status, 404, `${m} ${url}`);
        assert.equal((await h.request('HEAD', url)).status, 404);
      }
      assert.equal((await h.request('GET', '/v3/roles/nope/implies')).status, 404);
    });
  });

  describe('roles in tokens', () => {
    it('gives the admin token admin, member and reader through implication', async () => {
      const r = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': h.adminToken } });
      assert.deepEqual(r.body.token.roles.map((x: any) => x.name).sort(), ['admin', 'member', 'reader']);
    });

    it('adds implied roles to tokens at once, and drops them when the rule goes', async () => {
      const project = await createProject();
      const prior = await createRole();
      const implied = await createRole();
      const { token } = await userWithRole(project.id, prior.id);
      const names = async () =>
        (await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } })).body.token.roles
          .map((x: any) => x.name)
          .sort();
      assert.deepEqual(await names(), [prior.name]);
      assert.equal((await h.request('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`)).status, 201);
      assert.deepEqual(await names(), [prior.name, implied.name].sort());
      assert.equal((await h.request('DELETE', `/v3/roles/${prior.id}/implies/${implied.id}`)).status, 204);
      assert.deepEqual(await names(), [prior.name]);
    });

    it('puts what a domain-specific role implies in the token, but not the domain role itself', async () => {
      const dom = await createDomain();
      const project = await createProject(dom.id);
      const domainRole = await createRole({ domain_id: dom.id });
      assert.equal((await h.request('PUT', `/v3/roles/${domainRole.id}/implies/${await roleId('reader')}`)).status, 201);
      const password = 'user-secret-1';
      const u = await h.request('POST', '/v3/users', { body: { user: { name: uniq('du'), password, domain_id: dom.id } } });
      assert.equal((await h.request('PUT', `/v3/projects/${project.id}/users/${u.body.user.id}/roles/${domainRole.id}`)).status, 204);
      const issued = await h.request('POST', '/v3/auth/tokens', {
        token: null,
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { id: u.body.user.id, password } } },
            scope: { project: { id: project.id } },
          },
        },
      });
      assert.equal(issued.status, 201, issued.text);
      assert.deepEqual(
        issued.body.token.roles.map((x: any) => x.name),
        ['reader'],
      );
    });
  });

  it('removes the assignments of a deleted role', async () => {
    const project = await createProject();
    const role = await createRole();
    const { user } = await userWithRole(project.id, role.id);
    const before = await h.request('GET', `/v3/role_assignments?user.id=${user.id}`);
    assert.equal(before.body.role_assignments.length, 1);
    assert.equal((await h.request('DELETE', `/v3/roles/${role.id}`)).status, 204);
    const afterDelete = await h.request('GET', `/v3/role_assignments?user.id=${user.id}`);
    assert.deepEqual(afterDelete.body.role_assignments, []);
  });

  it('lets only admins change roles, and only readers with system scope read them', async () => {
    const project = await createProject();
    const { token } = await userWithRole(project.id, await roleId('member'));
    const a = await createRole();
    const b = await createRole();
    const denied: [string, string, unknown?][] = [
      ['GET', '/v3/roles'],
      ['GET', `/v3/roles/${a.id}`],
      ['POST', '/v3/roles', { role: { name: uniq('mine') } }],
      ['PATCH', `/v3/roles/${a.id}`, { role: { name: uniq('mine') } }],
      ['DELETE', `/v3/roles/${a.id}`],
      ['PUT', `/v3/roles/${a.id}/implies/${b.id}`],
      ['GET', `/v3/roles/${a.id}/implies`],
      ['GET', '/v3/role_inferences'],
    ];
    for (const [m, url, body] of denied) {
      const r = await h.request(m, url, { token, body });
      assert.equal(r.status, 403, `${m} ${url}: ${r.text}`);
      assert.equal(r.body.error.code, 403);
    }
    // The role is untouched.
    assert.equal((await h.request('GET', `/v3/roles/${a.id}`)).body.role.name, a.name);
  });
});
