import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

describe('identity: grants and role assignments', () => {
  let h: IdentityHarness;
  let n = 0;
  const uniq = (prefix: string): string => `${prefix}-${++n}-${Date.now().toString(36)}`;
  const PASSWORD = 'assignee-secret-1';

  async function post(path: string, key: string, body: Record<string, unknown>): Promise<any> {
    const r = await h.request('POST', path, { body: { [key]: body } });
    assert.equal(r.status, 201, r.text);
    return r.body[key];
  }
  const createRole = (body: Record<string, unknown> = {}) => post('/v3/roles', 'role', { name: uniq('role'), ...body });
  const createDomain = () => post('/v3/domains', 'domain', { name: uniq('dom') });
  const createProject = (domainId = 'default', parentId?: string) =>
    post('/v3/projects', 'project', { name: uniq('proj'), domain_id: domainId, ...(parentId ? { parent_id: parentId } : {}) });
  const createUser = (domainId = 'default') => post('/v3/users', 'user', { name: uniq('user'), password: PASSWORD, domain_id: domainId });
  const createGroup = (domainId = 'default') => post('/v3/groups', 'group', { name: uniq('group'), domain_id: domainId });

  async function expectStatus(method: string, path: string, status: number, token?: string): Promise<any> {
    const r = await h.request(method, path, { token });
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    return r;
  }

  async function roleId(name: string): Promise<string> {
    return (await h.request('GET', `/v3/roles?name=${name}`)).body.roles[0].id;
  }

  async function assignments(query: string, token?: string): Promise<any[]> {
    const r = await h.request('GET', `/v3/role_assignments?${query}`, { token });
    assert.equal(r.status, 200, `${query}: ${r.text}`);
    return r.body.role_assignments;
  }

  /** A compact, order-free form of an assignment list for comparisons. */
  const summary = (list: any[]): string[] =>
    list
      .map((a) => {
        const actor = a.user ? `user:${a.user.id}` : `group:${a.group.id}`;
        const scope = a.scope.project ? `project:${a.scope.project.id}` : a.scope.domain ? `domain:${a.scope.domain.id}` : 'system';
        return `${actor} ${scope} ${a.role.id}${a.scope['OS-INHERIT:inherited_to'] ? ' inherited' : ''}`;
      })
      .sort();

  before(async () => {
    h = await startIdentity();
  });
  after(() => h.close());

  describe('grants', () => {
    it('grants, lists, checks and revokes a role for a user and a group on a project and a domain', async () => {
      const dom = await createDomain();
      const project = await createProject(dom.id);
      const role = await createRole();
      for (const [actor, entity] of [
        ['users', await createUser(dom.id)],
        ['groups', await createGroup(dom.id)],
      ] as const) {
        for (const target of [`projects/${project.id}`, `domains/${dom.id}`]) {
          const base = `/v3/${target}/${actor}/${entity.id}/roles`;
          await expectStatus('PUT', `${base}/${role.id}`, 204);
          await expectStatus('PUT', `${base}/${role.id}`, 204); // granting twice is fine
          const list = await expectStatus('GET', base, 200);
          assert.deepEqual(
            list.body.roles.map((r: any) => r.id),
            [role.id],
          );
          assert.equal(list.body.roles[0].name, role.name);
          assert.equal(list.body.roles[0].links.self, `${h.url}/v3/roles/${role.id}`);
          assert.equal(list.body.links.self, `${h.url}${base}`);
          await expectStatus('HEAD', `${base}/${role.id}`, 204);
          const check = await expectStatus('GET', `${base}/${role.id}`, 204);
          assert.equal(check.text, '');
          await expectStatus('DELETE', `${base}/${role.id}`, 204);
          await expectStatus('HEAD', `${base}/${role.id}`, 404);
          await expectStatus('GET', `${base}/${role.id}`, 404);
          await expectStatus('DELETE', `${base}/${role.id}`, 404);
          assert.deepEqual((await expectStatus('GET', base, 200)).body.roles, []);
        }
      }
    });

    it('answers 404 when the project, domain, user, group or role does not exist', async () => {
      const project = await createProject();
      const user = await createUser();
      const group = await createGroup();
      const role = await createRole();
      const missing = [
        `/v3/projects/nope/users/${user.id}/roles/${role.id}`,
        `/v3/projects/${project.id}/users/nope/roles/${role.id}`,
        `/v3/projects/${project.id}/users/${user.id}/roles/nope`,
        `/v3/projects/${project.id}/groups/nope/roles/${role.id}`,
        `/v3/domains/nope/users/${user.id}/roles/${role.id}`,
        `/v3/domains/default/groups/${group.id}/roles/nope`,
        `/v3/system/users/nope/roles/${role.id}`,
        `/v3/system/groups/${group.id}/roles/nope`,
        `/v3/OS-INHERIT/domains/nope/users/${user.id}/roles/${role.id}/inherited_to_projects`,
        `/v3/OS-INHERIT/projects/${project.id}/groups/nope/roles/${role.id}/inherited_to_projects`,
      ];
      for (const url of missing) {
        for (const m of ['PUT', 'GET', 'HEAD', 'DELETE']) {
          if (m === 'GET' && url.startsWith('/v3/OS-INHERIT')) continue;
          const r = await h.request(m, url);
          assert.equal(r.status, 404, `${m} ${url}: ${r.text}`);
          if (m !== 'HEAD') assert.equal(r.body.error.code, 404);
        }
      }
      await expectStatus('GET', `/v3/projects/nope/users/${user.id}/roles`, 404);
      await expectStatus('GET', `/v3/projects/${project.id}/users/nope/roles`, 404);
      await expectStatus('GET', `/v3/domains/default/groups/nope/roles`, 404);
      await expectStatus('GET', '/v3/system/users/nope/roles', 404);
    });

    it('grants, lists, checks and revokes system roles for users and groups', async () => {
      const role = await createRole();
      for (const [actor, entity] of [
        ['users', await createUser()],
        ['groups', await createGroup()],
      ] as const) {
        const base = `/v3/system/${actor}/${entity.id}/roles`;
        await expectStatus('PUT', `${base}/${role.id}`, 204);
        assert.deepEqual(
          (await expectStatus('GET', base, 200)).body.roles.map((r: any) => r.id),
          [role.id],
        );
        await expectStatus('HEAD', `${base}/${role.id}`, 204);
        await expectStatus('GET', `${base}/${role.id}`, 204);
        const listed = await assignments(`${actor === 'users' ? 'user' : 'group'}.id=${entity.id}&scope.system=all`);
        assert.deepEqual(listed, [
          {
            scope: { system: { all: true } },
            [actor === 'users' ? 'user' : 'group']: { id: entity.id },
            role: { id: role.id },
            links: { assignment: `${h.url}/v3/system/${actor}/${entity.id}/roles/${role.id}` },
          },
        ]);
        await expectStatus('DELETE', `${base}/${role.id}`, 204);
        await expectStatus('HEAD', `${base}/${role.id}`, 404);
        await expectStatus('DELETE', `${base}/${role.id}`, 404);
      }
      // A domain-specific role cannot be a system role.
      const dom = await createDomain();
      const domainRole = await createRole({ domain_id: dom.id });
      await expectStatus('PUT', `/v3/system/users/${(await createUser()).id}/roles/${domainRole.id}`, 400);
    });

    it('grants a system role that scopes a token to the system', async () => {
      const user = await createUser();
      await expectStatus('PUT', `/v3/system/users/${user.id}/roles/${await roleId('reader')}`, 204);
      const token = await h.token({ name: user.name, password: PASSWORD }, { system: { all: true } });
      // A system reader may read roles and assignments but not grant.
      await expectStatus('GET', `/v3/role_assignments?user.id=${user.id}`, 200, token);
      await expectStatus('PUT', `/v3/system/users/${user.id}/roles/${await roleId('admin')}`, 403, token);
    });

    it('refuses a domain-specific role on a project of another domain with 403', async () => {
      const dom = await createDomain();
      const other = await createDomain();
      const role = await createRole({ domain_id: dom.id });
      const user = await createUser();
      await expectStatus('PUT', `/v3/projects/${(await createProject(other.id)).id}/users/${user.id}/roles/${role.id}`, 403);
      await expectStatus('PUT', `/v3/projects/${(await createProject(dom.id)).id}/users/${user.id}/roles/${role.id}`, 204);
    });

    it('manages OS-INHERIT grants on domains and projects apart from direct ones', async () => {
      const dom = await createDomain();
      const project = await createProject(dom.id);
      const role = await createRole();
      for (const [actor, entity] of [
        ['users', await createUser(dom.id)],
        ['groups', await createGroup(dom.id)],
      ] as const) {
        for (const target of [`domains/${dom.id}`, `projects/${project.id}`]) {
          const member = `/v3/OS-INHERIT/${target}/${actor}/${entity.id}/roles/${role.id}/inherited_to_projects`;
          const list = `/v3/OS-INHERIT/${target}/${actor}/${entity.id}/roles/inherited_to_projects`;
          await expectStatus('PUT', member, 204);
          await expectStatus('HEAD', member, 204);
          await expectStatus('GET', member, 204);
          assert.deepEqual(
            (await expectStatus('GET', list, 200)).body.roles.map((r: any) => r.id),
            [role.id],
          );
          // An inherited grant is not a direct one.
          assert.deepEqual((await expectStatus('GET', `/v3/${target}/${actor}/${entity.id}/roles`, 200)).body.roles, []);
          await expectStatus('HEAD', `/v3/${target}/${actor}/${entity.id}/roles/${role.id}`, 404);
          await expectStatus('DELETE', `/v3/${target}/${actor}/${entity.id}/roles/${role.id}`, 404);
          await expectStatus('DELETE', member, 204);
          await expectStatus('HEAD', member, 404);
          assert.deepEqual((await expectStatus('GET', list, 200)).body.roles, []);
        }
      }
    });

    it('revokes the grants of a deleted user', async () => {
      const project = await createProject();
      const user = await createUser();
      const role = await createRole();
      await expectStatus('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, 204);
      await expectStatus('DELETE', `/v3/users/${user.id}`, 204);
      assert.deepEqual(await assignments(`user.id=${user.id}`), []);
      // Revoking for a user that is gone reaches the (missing) grant rather than the user.
      await expectStatus('DELETE', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, 404);
    });
  });

  describe('tokens follow grants at once', () => {
    it('scopes a new token after a grant, and invalidates it on revoke', async () => {
      const project = await createProject();
      const user = await createUser();
      const member = await roleId('member');
      const scope = { project: { id: project.id } };
      const issue = () =>
        h.request('POST', '/v3/auth/tokens', {
          token: null,
          body: { auth: { identity: { methods: ['password'], password: { user: { id: user.id, password: PASSWORD } } }, scope } },
        });
      assert.equal((await issue()).status, 401, 'no role on the project yet');

      await expectStatus('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${member}`, 204);
      const issued = await issue();
      assert.equal(issued.status, 201, issued.text);
      const token = issued.headers.get('x-subject-token') as string;
      assert.deepEqual(issued.body.token.roles.map((r: any) => r.name).sort(), ['member', 'reader']);
      const valid = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });
      assert.equal(valid.status, 200, valid.text);

      await expectStatus('DELETE', `/v3/projects/${project.id}/users/${user.id}/roles/${member}`, 204);
      const invalid = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });
      assert.equal(invalid.status, 404, invalid.text);
      assert.equal((await issue()).status, 401);
    });

    it('gives group members the group’s roles, and takes them away with the membership', async () => {
      const project = await createProject();
      const user = await createUser();
      const group = await createGroup();
      await expectStatus('PUT', `/v3/projects/${project.id}/groups/${group.id}/roles/${await roleId('reader')}`, 204);
      await expectStatus('PUT', `/v3/groups/${group.id}/users/${user.id}`, 204);
      const token = await h.token({ name: user.name, password: PASSWORD }, { project: { id: project.id } });
      const roles = (await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } })).body.token.roles;
      assert.deepEqual(
        roles.map((r: any) => r.name),
        ['reader'],
      );
      await expectStatus('DELETE', `/v3/groups/${group.id}/users/${user.id}`, 204);
      const after = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });
      assert.equal(after.status, 404);
    });
  });

  describe('GET /v3/role_assignments', () => {
    it('lists direct assignments with Keystone links, filtered by actor, role and scope', async () => {
      const dom = await createDomain();
      const project = await createProject(dom.id);
      const user = await createUser(dom.id);
      const group = await createGroup(dom.id);
      const r1 = await createRole();
      const r2 = await createRole();
      await expectStatus('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${r1.id}`, 204);
      await expectStatus('PUT', `/v3/domains/${dom.id}/users/${user.id}/roles/${r2.id}`, 204);
      await expectStatus('PUT', `/v3/projects/${project.id}/groups/${group.id}/roles/${r2.id}`, 204);
      await expectStatus('PUT', `/v3/OS-INHERIT/domains/${dom.id}/groups/${group.id}/roles/${r1.id}/inherited_to_projects`, 204);

      const r = await h.request('GET', `/v3/role_assignments?user.id=${user.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.links.self, `${h.url}/v3/role_assignments?user.id=${user.id}`);
      const byScope = Object.fromEntries(r.body.role_assignments.map((a: any) => [a.scope.project ? 'project' : 'domain', a]));
      assert.deepEqual(byScope.project, {
        scope: { project: { id: project.id } },
        user: { id: user.id },
        role: { id: r1.id },
        links: { assignment: `${h.url}/v3/projects/${project.id}/users/${user.id}/roles/${r1.id}` },
      });
      assert.deepEqual(byScope.domain, {
        scope: { domain: { id: dom.id } },
        user: { id: user.id },
        role: { id: r2.id },
        links: { assignment: `${h.url}/v3/domains/${dom.id}/users/${user.id}/roles/${r2.id}` },
      });

      const groupList = await assignments(`group.id=${group.id}`);
      assert.deepEqual(
        summary(groupList),
        [`group:${group.id} domain:${dom.id} ${r1.id} inherited`, `group:${group.id} project:${project.id} ${r2.id}`].sort(),
      );
      const inherited = groupList.find((a) => a.scope.domain);
      assert.deepEqual(inherited.scope, { domain: { id: dom.id }, 'OS-INHERIT:inherited_to': 'projects' });
      assert.equal(
        inherited.links.assignment,
        `${h.url}/v3/OS-INHERIT/domains/${dom.id}/groups/${group.id}/roles/${r1.id}/inherited_to_projects`,
      );

      assert.deepEqual(
        summary(await assignments(`scope.project.id=${project.id}`)),
        [`group:${group.id} project:${project.id} ${r2.id}`, `user:${user.id} project:${project.id} ${r1.id}`].sort(),
      );
      assert.deepEqual(
        summary(await assignments(`scope.domain.id=${dom.id}`)),
        [`group:${group.id} domain:${dom.id} ${r1.id} inherited`, `user:${user.id} domain:${dom.id} ${r2.id}`].sort(),
      );
      assert.deepEqual(
        summary(await assignments(`role.id=${r2.id}`)),
        [`group:${group.id} project:${project.id} ${r2.id}`, `user:${user.id} domain:${dom.id} ${r2.id}`].sort(),
      );
      assert.deepEqual(summary(await assignments(`scope.domain.id=${dom.id}&scope.OS-INHERIT:inherited_to=projects`)), [
        `group:${group.id} domain:${dom.id} ${r1.id} inherited`,
      ]);
      // The bootstrap admin holds admin on the admin project and on the system.
      const admin = await assignments(`user.id=${h.adminUserId}`);
      assert.equal(admin.length, 2);
      assert.ok(admin.some((a) => a.scope.system?.all === true));
      assert.deepEqual((await assignments(`user.id=${h.adminUserId}&scope.system=all`)).length, 1);
    });

    it('expands groups, inheritance and implied roles in effective mode', async () => {
      const dom = await createDomain();
      const parent = await createProject(dom.id);
      const child = await createProject(dom.id, parent.id);
      const user = await createUser(dom.id);
      const group = await createGroup(dom.id);
      await expectStatus('PUT', `/v3/groups/${group.id}/users/${user.id}`, 204);
      const viaGroup = await createRole();
      const onDomain = await createRole();
      const onParent = await createRole();
      const prior = await createRole();
      const implied = await createRole();
      await expectStatus('PUT', `/v3/roles/${prior.id}/implies/${implied.id}`, 201);
      await expectStatus('PUT', `/v3/projects/${parent.id}/groups/${group.id}/roles/${viaGroup.id}`, 204);
      await expectStatus('PUT', `/v3/OS-INHERIT/domains/${dom.id}/users/${user.id}/roles/${onDomain.id}/inherited_to_projects`, 204);
      await expectStatus('PUT', `/v3/OS-INHERIT/projects/${parent.id}/users/${user.id}/roles/${onParent.id}/inherited_to_projects`, 204);
      await expectStatus('PUT', `/v3/projects/${child.id}/users/${user.id}/roles/${prior.id}`, 204);

      const all = await assignments(`user.id=${user.id}&effective`);
      assert.deepEqual(
        summary(all),
        [
          `user:${user.id} project:${parent.id} ${viaGroup.id}`,
          `user:${user.id} project:${parent.id} ${onDomain.id} inherited`,
          `user:${user.id} project:${child.id} ${onDomain.id} inherited`,
          `user:${user.id} project:${child.id} ${onParent.id} inherited`,
          `user:${user.id} project:${child.id} ${prior.id}`,
          `user:${user.id} project:${child.id} ${implied.id}`,
        ].sort(),
      );

      const membership = all.find((a) => a.role.id === viaGroup.id);
      assert.deepEqual(membership.links, {
        assignment: `${h.url}/v3/projects/${parent.id}/groups/${group.id}/roles/${viaGroup.id}`,
        membership: `${h.url}/v3/groups/${group.id}/users/${user.id}`,
      });
      const fromDomain = all.find((a) => a.role.id === onDomain.id && a.scope.project.id === child.id);
      assert.deepEqual(fromDomain.scope, { project: { id: child.id }, 'OS-INHERIT:inherited_to': 'projects' });
      assert.equal(
        fromDomain.links.assignment,
        `${h.url}/v3/OS-INHERIT/domains/${dom.id}/users/${user.id}/roles/${onDomain.id}/inherited_to_projects`,
      );
      const fromParent = all.find((a) => a.role.id === onParent.id);
      assert.equal(
        fromParent.links.assignment,
        `${h.url}/v3/OS-INHERIT/projects/${parent.id}/users/${user.id}/roles/${onParent.id}/inherited_to_projects`,
      );
      const viaPrior = all.find((a) => a.role.id === implied.id);
      assert.equal(viaPrior.links.assignment, `${h.url}/v3/projects/${child.id}/users/${user.id}/roles/${prior.id}`);
      assert.equal(viaPrior.links.prior_role, `${h.url}/v3/prior_role/${implied.id}/implies/${prior.id}`);

      // Filtering by project keeps what reaches that project, inherited from above included.
      assert.deepEqual(
        summary(await assignments(`user.id=${user.id}&scope.project.id=${child.id}&effective`)),
        [
          `user:${user.id} project:${child.id} ${onDomain.id} inherited`,
          `user:${user.id} project:${child.id} ${onParent.id} inherited`,
          `user:${user.id} project:${child.id} ${prior.id}`,
          `user:${user.id} project:${child.id} ${implied.id}`,
        ].sort(),
      );
      // The role filter applies after implication.
      assert.deepEqual(summary(await assignments(`user.id=${user.id}&role.id=${implied.id}&effective`)), [
        `user:${user.id} project:${child.id} ${implied.id}`,
      ]);
      // Without a user filter, group grants become one assignment per member.
      assert.deepEqual(
        summary(await assignments(`scope.project.id=${parent.id}&effective`)),
        [`user:${user.id} project:${parent.id} ${onDomain.id} inherited`, `user:${user.id} project:${parent.id} ${viaGroup.id}`].sort(),
      );
      // Effective roles match the token.
      const token = await h.token({ name: user.name, password: PASSWORD, domain: dom.name }, { project: { id: child.id } });
      const tokenRoles = (await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } })).body.token.roles
        .map((r: any) => r.id)
        .sort();
      assert.deepEqual(tokenRoles, [onDomain.id, onParent.id, prior.id, implied.id].sort());

      // Once revoked, the inherited assignments are gone from both projects.
      await expectStatus('DELETE', `/v3/OS-INHERIT/domains/${dom.id}/users/${user.id}/roles/${onDomain.id}/inherited_to_projects`, 204);
      assert.ok(!(await assignments(`user.id=${user.id}&effective`)).some((a) => a.role.id === onDomain.id));
    });

    it('leaves domain-specific roles out of effective assignments', async () => {
      const dom = await createDomain();
      const project = await createProject(dom.id);
      const user = await createUser(dom.id);
      const domainRole = await createRole({ domain_id: dom.id });
      await expectStatus('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${domainRole.id}`, 204);
      assert.deepEqual(await assignments(`scope.project.id=${project.id}&user.id=${user.id}&effective`), []);
      assert.equal((await assignments(`scope.project.id=${project.id}&user.id=${user.id}`)).length, 1);
    });

    it('adds names with include_names', async () => {
      const dom = await createDomain();
      const project = await createProject(dom.id);
      const user = await createUser(dom.id);
      const group = await createGroup(dom.id);
      const role = await createRole();
      const domainRole = await createRole({ domain_id: dom.id });
      await expectStatus('PUT', `/v3/projects/${project.id}/users/${user.id}/roles/${role.id}`, 204);
      await expectStatus('PUT', `/v3/domains/${dom.id}/groups/${group.id}/roles/${domainRole.id}`, 204);
      const [onProject] = await assignments(`user.id=${user.id}&include_names`);
      assert.deepEqual(onProject, {
        scope: { project: { id: project.id, name: project.name, domain: { id: dom.id, name: dom.name } } },
        user: { id: user.id, name: user.name, domain: { id: dom.id, name: dom.name } },
        role: { id: role.id, name: role.name },
        links: { assignment: `${h.url}/v3/projects/${project.id}/users/${user.id}/roles/${role.id}` },
      });
      const [onDomain] = await assignments(`group.id=${group.id}&include_names=true`);
      assert.deepEqual(onDomain.scope, { domain: { id: dom.id, name: dom.name } });
      assert.deepEqual(onDomain.group, { id: group.id, name: group.name, domain: { id: dom.id, name: dom.name } });
      assert.deepEqual(onDomain.role, { id: domainRole.id, name: domainRole.name, domain: { id: dom.id, name: dom.name } });
      // include_names=0 is false, as in Keystone.
      assert.deepEqual((await assignments(`user.id=${user.id}&include_names=0`))[0].user, { id: user.id });
      const [system] = await assignments(`user.id=${h.adminUserId}&scope.system=all&include_names`);
      assert.deepEqual(system.scope, { system: { all: true } });
      assert.equal(system.role.name, 'admin');
    });

    it('lists a project subtree with include_subtree', async () => {
      const parent = await createProject();
      const child = await createProject('default', parent.id);
      const other = await createProject();
      const user = await createUser();
      const role = await createRole();
      for (const p of [parent, child, other]) await expectStatus('PUT', `/v3/projects/${p.id}/users/${user.id}/roles/${role.id}`, 204);
      assert.deepEqual(
        summary(await assignments(`scope.project.id=${parent.id}&include_subtree=true`)),
        [`user:${user.id} project:${child.id} ${role.id}`, `user:${user.id} project:${parent.id} ${role.id}`].sort(),
      );
      await expectStatus('GET', '/v3/role_assignments?include_subtree=true', 400);
      await expectStatus('GET', '/v3/role_assignments?include_subtree=true&scope.project.id=nope', 404);
    });

    it('refuses meaningless filter combinations with 400', async () => {
      for (const q of [
        'effective&group.id=g',
        'effective=true&group.id=g',
        'effective&scope.domain.id=d&scope.OS-INHERIT:inherited_to=projects',
        'user.id=u&group.id=g',
        'scope.project.id=p&scope.domain.id=d',
        'scope.system=all&scope.project.id=p',
        'scope.system=all&scope.domain.id=d',
      ]) {
        const r = await h.request('GET', `/v3/role_assignments?${q}`);
        assert.equal(r.status, 400, `${q}: ${r.text}`);
        assert.equal(r.body.error.code, 400);
      }
      // A group filter alone is fine, and effective=0 is not effective.
      await expectStatus('GET', '/v3/role_assignments?group.id=g&effective=0', 200);
    });
  });

  describe('authorization', () => {
    let project: any;
    let member: any;
    let token: string;
    before(async () => {
      project = await createProject();
      member = await createUser();
      await expectStatus('PUT', `/v3/projects/${project.id}/users/${member.id}/roles/${await roleId('member')}`, 204);
      token = await h.token({ name: member.name, password: PASSWORD }, { project: { id: project.id } });
    });

    it('does not let a member grant itself roles', async () => {
      const admin = await roleId('admin');
      for (const url of [
        `/v3/projects/${project.id}/users/${member.id}/roles/${admin}`,
        `/v3/domains/default/users/${member.id}/roles/${admin}`,
        `/v3/system/users/${member.id}/roles/${admin}`,
        `/v3/OS-INHERIT/domains/default/users/${member.id}/roles/${admin}/inherited_to_projects`,
        `/v3/OS-INHERIT/projects/${project.id}/users/${member.id}/roles/${admin}/inherited_to_projects`,
      ]) {
        const r = await h.request('PUT', url, { token });
        assert.equal(r.status, 403, `${url}: ${r.text}`);
      }
      const roles = (await h.request('GET', `/v3/projects/${project.id}/users/${member.id}/roles`)).body.roles.map((r: any) => r.name);
      assert.deepEqual(roles, ['member']);
      assert.deepEqual((await h.request('GET', `/v3/system/users/${member.id}/roles`)).body.roles, []);
    });

    it('does not let a member revoke, check or list grants, nor list role assignments', async () => {
      const memberRole = await roleId('member');
      await expectStatus('DELETE', `/v3/projects/${project.id}/users/${member.id}/roles/${memberRole}`, 403, token);
      await expectStatus('GET', `/v3/projects/${project.id}/users/${member.id}/roles`, 403, token);
      await expectStatus('HEAD', `/v3/projects/${project.id}/users/${member.id}/roles/${memberRole}`, 403, token);
      await expectStatus('GET', `/v3/system/users/${member.id}/roles`, 403, token);
      await expectStatus('GET', '/v3/role_assignments', 403, token);
      await expectStatus('GET', `/v3/role_assignments?user.id=${member.id}`, 403, token);
      await expectStatus('GET', `/v3/role_assignments?scope.project.id=${project.id}&include_subtree`, 403, token);
      // Still a member.
      await expectStatus('HEAD', `/v3/projects/${project.id}/users/${member.id}/roles/${memberRole}`, 204);
    });
  });
});
