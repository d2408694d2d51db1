import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

let seq = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++seq}`;

describe('identity: domains and projects', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await startIdentity();
  });
  after(() => h.close());

  async function createDomain(body: Record<string, unknown> = {}): Promise<any> {
    const r = await h.request('POST', '/v3/domains', { body: { domain: { name: uniq('dom'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.domain;
  }

  async function createProject(body: Record<string, unknown> = {}): Promise<any> {
    const r = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.project;
  }

  async function adminRoleId(): Promise<string> {
    const role = await h.server.services.roles.findByName('admin');
    assert.ok(role);
    return role.id;
  }

  describe('domains', () => {
    it('shows the default domain', async () => {
      const r = await h.request('GET', '/v3/domains/default');
      assert.equal(r.status, 200);
      assert.equal(r.body.domain.id, 'default');
      assert.equal(r.body.domain.name, 'Default');
      assert.equal(r.body.domain.enabled, true);
      assert.match(r.body.domain.links.self, /\/v3\/domains\/default$/);
    });

    it('creates, shows, updates, lists and deletes a domain', async () => {
      const name = uniq('dom');
      const c = await h.request('POST', '/v3/domains', { body: { domain: { name, description: 'd1', color: 'blue' } } });
      assert.equal(c.status, 201, c.text);
      const d = c.body.domain;
      assert.equal(d.name, name);
      assert.equal(d.description, 'd1');
      assert.equal(d.enabled, true);
      assert.equal(d.color, 'blue', 'unknown attributes are kept as extras');
      assert.deepEqual(d.tags, []);
      assert.match(d.links.self, new RegExp(`/v3/domains/${d.id}$`));

      const noDesc = await createDomain();
      assert.equal(noDesc.description, '');

      const g = await h.request('GET', `/v3/domains/${d.id}`);
      assert.deepEqual(g.body.domain, d);

      const u = await h.request('PATCH', `/v3/domains/${d.id}`, {
        body: { domain: { name: `${name}-x`, description: 'd2', enabled: false } },
      });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.domain.name, `${name}-x`);
      assert.equal(u.body.domain.description, 'd2');
      assert.equal(u.body.domain.enabled, false);

      const byName = await h.request('GET', `/v3/domains?name=${name}-x`);
      assert.deepEqual(
        byName.body.domains.map((x: any) => x.id),
        [d.id],
      );
      assert.match(byName.body.links.self, /\/v3\/domains\?name=/);
      const disabled = await h.request('GET', '/v3/domains?enabled=false');
      assert.ok(disabled.body.domains.some((x: any) => x.id === d.id));
      assert.ok(disabled.body.domains.every((x: any) => x.enabled === false));
      const enabled = await h.request('GET', '/v3/domains?enabled=true');
      assert.ok(enabled.body.domains.some((x: any) => x.id === 'default'));
      assert.ok(!enabled.body.domains.some((x: any) => x.id === d.id));

      const del = await h.request('DELETE', `/v3/domains/${d.id}`);
      assert.equal(del.status, 204);
      assert.equal((await h.request('GET', `/v3/domains/${d.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/domains/${d.id}`)).status, 404);
    });

    it('refuses to delete an enabled domain (403) and cascades the delete of a disabled one', async () => {
      const d = await createDomain();
      const del = await h.request('DELETE', `/v3/domains/${d.id}`);
      assert.equal(del.status, 403);
      assert.equal(del.body.error.code, 403);

      const p = await createProject({ domain_id: d.id });
      const user = await h.request('POST', '/v3/users', { body: { user: { name: uniq('u'), domain_id: d.id } } });
      const group = await h.request('POST', '/v3/groups', { body: { group: { name: uniq('g'), domain_id: d.id } } });
      assert.equal(user.status, 201);
      assert.equal(group.status, 201);
      assert.equal((await h.request('PATCH', `/v3/domains/${d.id}`, { body: { domain: { enabled: false } } })).status, 200);
      assert.equal((await h.request('DELETE', `/v3/domains/${d.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/projects/${p.id}`)).status, 404);
      assert.equal((await h.request('GET', `/v3/users/${user.body.user.id}`)).status, 404);
      assert.equal((await h.request('GET', `/v3/groups/${group.body.group.id}`)).status, 404);
    });

    it('rejects bad domain bodies with 400 and duplicates with 409', async () => {
      const bad = [
        { domain: { name: '' } },
        { domain: { name: 'a'.repeat(65) } },
        { domain: { name: '   ' } },
        { domain: { name: uniq('d'), enabled: 'true' } },
        { domain: { description: 'no name' } },
        { domain: { name: uniq('d') }, extra: 1 },
        {},
      ];
      for (const body of bad) {
        const r = await h.request('POST', '/v3/domains', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.body.error.code, 400);
      }
      const d = await createDomain();
      const dup = await h.request('POST', '/v3/domains', { body: { domain: { name: d.name } } });
      assert.equal(dup.status, 409);
      assert.equal((await h.request('PATCH', `/v3/domains/${d.id}`, { body: { domain: {} } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/domains/${d.id}`, { body: { domain: { id: 'other' } } })).status, 400);
      assert.equal((await h.request('PATCH', '/v3/domains/nope', { body: { domain: { name: 'x' } } })).status, 404);
      assert.equal((await h.request('PATCH', '/v3/domains/default', { body: { domain: { enabled: false } } })).status, 400);
    });
  });

  describe('projects', () => {
    it('creates a project in the caller project domain by default, with parent_id rendered as the domain', async () => {
      const p = await createProject({ description: 'hello', tags: ['a', 'c', 'b'], shoe: 'size' });
      assert.equal(p.domain_id, 'default');
      assert.equal(p.parent_id, 'default');
      assert.equal(p.is_domain, false);
      assert.equal(p.enabled, true);
      assert.equal(p.description, 'hello');
      assert.equal(p.shoe, 'size');
      assert.deepEqual([...p.tags].sort(), ['a', 'b', 'c']);
      assert.deepEqual(p.options, {});
      assert.match(p.links.self, new RegExp(`/v3/projects/${p.id}$`));

      const g = await h.request('GET', `/v3/projects/${p.id}`);
      assert.equal(g.status, 200);
      const list = await h.request('GET', '/v3/projects');
      const fromList = list.body.projects.find((x: any) => x.id === p.id);
      assert.deepEqual(g.body.project, fromList, 'show equals list');
      assert.deepEqual(
        { ...g.body.project, tags: [...g.body.project.tags].sort() },
        { ...p, tags: [...p.tags].sort() },
        'show equals create',
      );

      const head = await h.request('HEAD', `/v3/projects/${p.id}`);
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
    });

    it('creates projects in another domain and under a parent', async () => {
      const d = await createDomain();
      const root = await createProject({ domain_id: d.id });
      assert.equal(root.domain_id, d.id);
      assert.equal(root.parent_id, d.id);
      const child = await createProject({ domain_id: d.id, parent_id: root.id });
      assert.equal(child.parent_id, root.id);
      const inferred = await createProject({ parent_id: root.id });
      assert.equal(inferred.domain_id, d.id, 'domain follows the parent');
      const viaDomainParent = await createProject({ parent_id: d.id });
      assert.equal(viaDomainParent.domain_id, d.id);
      assert.equal(viaDomainParent.parent_id, d.id);

      const mismatch = await h.request('POST', '/v3/projects', {
        body: { project: { name: uniq('p'), domain_id: 'default', parent_id: root.id } },
      });
      assert.equal(mismatch.status, 400);
      const noParent = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('p'), parent_id: 'f'.repeat(32) } } });
      assert.equal(noParent.status, 404);
      const noDomain = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('p'), domain_id: 'f'.repeat(32) } } });
      assert.equal(noDomain.status, 404);
    });

    it('filters the project list', async () => {
      const d = await createDomain();
      const p1 = await createProject({ domain_id: d.id, enabled: false, tags: ['red', 'big'] });
      const p2 = await createProject({ domain_id: d.id, tags: ['red'] });
      const p3 = await createProject({ parent_id: p2.id, tags: ['blue'] });
      const ids = async (qs: string): Promise<string[]> => {
        const r = await h.request('GET', `/v3/projects?${qs}`);
        assert.equal(r.status, 200, `${qs}: ${r.text}`);
        return r.body.projects.map((x: any) => x.id);
      };
      assert.deepEqual((await ids(`domain_id=${d.id}`)).sort(), [p1.id, p2.id, p3.id].sort());
      assert.deepEqual(await ids(`domain_id=${d.id}&enabled=false`), [p1.id]);
      assert.deepEqual((await ids(`domain_id=${d.id}&enabled=true`)).sort(), [p2.id, p3.id].sort());
      assert.deepEqual(await ids(`name=${p2.name}`), [p2.id]);
      assert.deepEqual(await ids(`parent_id=${p2.id}`), [p3.id]);
      assert.deepEqual((await ids(`parent_id=${d.id}`)).sort(), [p1.id, p2.id].sort(), 'a domain as parent means top level');
      assert.deepEqual(await ids('parent_id=nothing-here'), []);
      assert.deepEqual(await ids(`domain_id=${d.id}&tags=red,big`), [p1.id]);
      assert.deepEqual((await ids(`domain_id=${d.id}&tags-any=big,blue`)).sort(), [p1.id, p3.id].sort());
      assert.deepEqual((await ids(`domain_id=${d.id}&not-tags=red,big`)).sort(), [p2.id, p3.id].sort());
      assert.deepEqual(await ids(`domain_id=${d.id}&not-tags-any=red`), [p3.id]);
      const all = await ids('');
      assert.ok(!all.includes(d.id) && !all.includes('default'), 'domains are not listed as projects by default');
    });

    it('lists domains as projects with is_domain=true and manages is_domain projects', async () => {
      const r = await h.request('POST', '/v3/projects', {
        body: { project: { name: uniq('isdom'), domain_id: null, is_domain: true, description: 'dd' } },
      });
      assert.equal(r.status, 201, r.text);
      const p = r.body.project;
      assert.equal(p.is_domain, true);
      assert.equal(p.domain_id, null);
      assert.equal(p.parent_id, null);
      assert.equal(p.description, 'dd');

      const asProjects = await h.request('GET', '/v3/projects?is_domain=true');
      const listed = asProjects.body.projects.map((x: any) => x.id);
      assert.ok(listed.includes(p.id) && listed.includes('default'));
      assert.ok(asProjects.body.projects.every((x: any) => x.is_domain === true));
      const domains = await h.request('GET', '/v3/domains');
      assert.ok(domains.body.domains.some((x: any) => x.id === p.id));

      const shown = await h.request('GET', `/v3/projects/${p.id}?parents_as_ids`);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.project.is_domain, true);
      assert.equal(shown.body.project.parents, null);

      assert.equal((await h.request('DELETE', `/v3/projects/${p.id}`)).status, 403, 'still enabled');
      const off = await h.request('PATCH', `/v3/projects/${p.id}`, { body: { project: { enabled: false } } });
      assert.equal(off.status, 200, off.text);
      assert.equal(off.body.project.enabled, false);
      assert.equal((await h.request('DELETE', `/v3/projects/${p.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/domains/${p.id}`)).status, 404);
    });

    it('answers the hierarchy query flags like Keystone', async () => {
      const d = await createDomain();
      const a = await createProject({ domain_id: d.id });
      const b = await createProject({ parent_id: a.id });
      const c = await createProject({ parent_id: b.id });
      const e = await createProject({ parent_id: b.id });

      const pIds = await h.request('GET', `/v3/projects/${c.id}?parents_as_ids`);
      assert.equal(pIds.status, 200);
      assert.deepEqual(pIds.body.project.parents, { [b.id]: { [a.id]: { [d.id]: null } } });
      const topIds = await h.request('GET', `/v3/projects/${a.id}?parents_as_ids=true`);
      assert.deepEqual(topIds.body.project.parents, { [d.id]: null });

      const sIds = await h.request('GET', `/v3/projects/${a.id}?subtree_as_ids`);
      assert.deepEqual(sIds.body.project.subtree, { [b.id]: { [c.id]: null, [e.id]: null } });
      const leaf = await h.request('GET', `/v3/projects/${c.id}?subtree_as_ids`);
      assert.equal(leaf.body.project.subtree, null);
      const domainSubtree = await h.request('GET', `/v3/projects/${d.id}?subtree_as_ids`);
      assert.deepEqual(domainSubtree.body.project.subtree, { [a.id]: { [b.id]: { [c.id]: null, [e.id]: null } } });

      // The list forms only show projects the caller has a role on.
      const none = await h.request('GET', `/v3/projects/${c.id}?parents_as_list&subtree_as_ids=0`);
      assert.deepEqual(none.body.project.parents, []);
      assert.equal(none.body.project.subtree, undefined);
      const roleId = await adminRoleId();
      for (const p of [a, b, e]) {
        await h.server.services.assignments.grant({
          actor: 'user',
          actorId: h.adminUserId,
          target: 'project',
          targetId: p.id,
          roleId,
          inherited: false,
        });
      }
      const pl = await h.request('GET', `/v3/projects/${c.id}?parents_as_list`);
      assert.deepEqual(
        pl.body.project.parents.map((x: any) => x.project.id),
        [b.id, a.id],
      );
      assert.equal(pl.body.project.parents[0].project.name, b.name);
      const sl = await h.request('GET', `/v3/projects/${a.id}?subtree_as_list`);
      assert.deepEqual(sl.body.project.subtree.map((x: any) => x.project.id).sort(), [b.id, e.id].sort());

      assert.equal((await h.request('GET', `/v3/projects/${c.id}?parents_as_list&parents_as_ids`)).status, 400);
      assert.equal((await h.request('GET', `/v3/projects/${c.id}?subtree_as_list&subtree_as_ids`)).status, 400);
    });

    it('updates projects and enforces the hierarchy rules', async () => {
      const parent = await createProject();
      const child = await createProject({ parent_id: parent.id });
      const u = await h.request('PATCH', `/v3/projects/${child.id}`, {
        body: { project: { id: child.id, name: uniq('renamed'), description: 'new', extra_attr: 1 } },
      });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.project.description, 'new');
      assert.equal(u.body.project.extra_attr, 1);
      assert.equal(u.body.project.parent_id, parent.id);

      const disableParent = await h.request('PATCH', `/v3/projects/${parent.id}`, { body: { project: { enabled: false } } });
      assert.equal(disableParent.status, 403, 'subtree still enabled');
      assert.equal((await h.request('PATCH', `/v3/projects/${child.id}`, { body: { project: { enabled: false } } })).status, 200);
      assert.equal((await h.request('PATCH', `/v3/projects/${parent.id}`, { body: { project: { enabled: false } } })).status, 200);
      assert.equal(
        (await h.request('PATCH', `/v3/projects/${child.id}`, { body: { project: { enabled: true } } })).status,
        403,
        'parent disabled',
      );

      assert.equal((await h.request('PATCH', `/v3/projects/${child.id}`, { body: { project: { domain_id: 'other' } } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/projects/${child.id}`, { body: { project: { id: 'other' } } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/projects/${child.id}`, { body: { project: {} } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/projects/${child.id}`, { body: { project: { enabled: 'yes' } } })).status, 400);
      assert.equal((await h.request('PATCH', '/v3/projects/nope', { body: { project: { name: 'x' } } })).status, 404);

      assert.equal((await h.request('DELETE', `/v3/projects/${parent.id}`)).status, 403, 'not a leaf');
      assert.equal((await h.request('DELETE', `/v3/projects/${child.id}`)).status, 204);
      assert.equal((await h.request('DELETE', `/v3/projects/${parent.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/projects/${parent.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/projects/${parent.id}`)).status, 404);
    });

    it('rejects bad project bodies with 400 and duplicates with 409', async () => {
      const bad = [
        { project: { name: '' } },
        { project: { name: 'a'.repeat(65) } },
        { project: { name: uniq('p'), enabled: 'true' } },
        { project: { name: uniq('p'), tags: ['a', 'a'] } },
        { project: { name: uniq('p'), tags: ['a,b'] } },
        { project: { name: uniq('p'), tags: ['a/b'] } },
        { project: { name: uniq('p'), domain_id: 'not valid!' } },
        { project: { name: uniq('p') }, other: true },
        { project: 'x' },
      ];
      for (const body of bad) {
        const r = await h.request('POST', '/v3/projects', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      }
      const p = await createProject();
      const dup = await h.request('POST', '/v3/projects', { body: { project: { name: p.name } } });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, 409);
    });

    it('manages project tags', async () => {
      const p = await createProject({ tags: ['one'] });
      const base = `/v3/projects/${p.id}/tags`;
      const put = await h.request('PUT', base, { body: { tags: ['x', 'y', 'z'] } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual([...put.body.tags].sort(), ['x', 'y', 'z']);
      assert.match(put.body.links.self, new RegExp(`${base}$`));
      const list = await h.request('GET', base);
      assert.equal(list.status, 200);
      assert.deepEqual([...list.body.tags].sort(), ['x', 'y', 'z']);

      assert.equal((await h.request('GET', `${base}/x`)).status, 204);
      assert.equal((await h.request('HEAD', `${base}/x`)).status, 204);
      assert.equal((await h.request('GET', `${base}/one`)).status, 404, 'replaced');
      assert.equal((await h.request('HEAD', `${base}/nope`)).status, 404);

      const add = await h.request('PUT', `${base}/new-tag`, { raw: '{}' });
      assert.equal(add.status, 201);
      assert.equal(add.text, '');
      assert.match(add.headers.get('location') ?? '', new RegExp(`${base}/new-tag$`));
      assert.equal((await h.request('GET', `${base}/new-tag`)).status, 204);
      assert.equal((await h.request('PUT', `${base}/new-tag`)).status, 400, 'duplicate tag');
      assert.equal((await h.request('PUT', `${base}/a,b`)).status, 400);

      assert.equal((await h.request('DELETE', `${base}/x`)).status, 204);
      assert.equal((await h.request('GET', `${base}/x`)).status, 404);
      assert.equal((await h.request('DELETE', `${base}/x`)).status, 404);

      assert.equal((await h.request('PUT', base, { body: { tags: ['d', 'd'] } })).status, 400);
      assert.equal((await h.request('PUT', base, { body: { tags: 'd' } })).status, 400);
      assert.equal((await h.request('PUT', base, { body: {} })).status, 400);
      assert.equal((await h.request('PUT', base, { body: { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) } })).status, 400);

      assert.equal((await h.request('DELETE', base)).status, 204);
      assert.deepEqual((await h.request('GET', base)).body.tags, []);
      assert.equal((await h.request('GET', '/v3/projects/nope/tags')).status, 404);
      assert.equal((await h.request('PUT', '/v3/projects/nope/tags/x')).status, 404);
    });
  });

  describe('authorization of a project member', () => {
    let memberToken: string;
    let own: any;
    let other: any;
    let otherDomain: any;

    before(async () => {
      const svc = h.server.services;
      otherDomain = await createDomain();
      own = await createProject();
      other = await createProject({ domain_id: otherDomain.id });
      const user = await svc.users.create({ name: uniq('member'), password: 'member-pw-1' }, 'default');
      const member = await svc.roles.findByName('member');
      assert.ok(member);
      await svc.assignments.grant({
        actor: 'user',
        actorId: user.id,
        target: 'project',
        targetId: own.id,
        roleId: member.id,
        inherited: false,
      });
      memberToken = await h.token({ name: user.name, password: 'member-pw-1' }, { project: { id: own.id } });
    });

    it('cannot list projects or domains', async () => {
      assert.equal((await h.request('GET', '/v3/projects', { token: memberToken })).status, 403);
      assert.equal((await h.request('GET', '/v3/domains', { token: memberToken })).status, 403);
    });

    it('reads its own project and domain, not others', async () => {
      const r = await h.request('GET', `/v3/projects/${own.id}`, { token: memberToken });
      assert.equal(r.status, 200);
      assert.equal(r.body.project.id, own.id);
      assert.equal((await h.request('GET', `/v3/projects/${own.id}/tags`, { token: memberToken })).status, 200);
      assert.equal((await h.request('GET', '/v3/domains/default', { token: memberToken })).status, 200);
      assert.equal((await h.request('GET', `/v3/projects/${other.id}`, { token: memberToken })).status, 403);
      assert.equal((await h.request('GET', `/v3/projects/${other.id}/tags`, { token: memberToken })).status, 403);
      assert.equal((await h.request('GET', `/v3/projects/${h.adminProjectId}`, { token: memberToken })).status, 403);
      assert.equal((await h.request('GET', `/v3/domains/${otherDomain.id}`, { token: memberToken })).status, 403);
    });

    it('cannot create, change or delete projects, tags or domains', async () => {
      const t = { token: memberToken };
      const checks: [string, string, unknown][] = [
        ['POST', '/v3/projects', { project: { name: uniq('p') } }],
        ['PATCH', `/v3/projects/${own.id}`, { project: { name: 'mine' } }],
        ['PATCH', `/v3/projects/${other.id}`, { project: { name: 'theirs' } }],
        ['DELETE', `/v3/projects/${own.id}`, undefined],
        ['DELETE', `/v3/projects/${other.id}`, undefined],
        ['PUT', `/v3/projects/${own.id}/tags`, { tags: ['a'] }],
        ['PUT', `/v3/projects/${own.id}/tags/a`, undefined],
        ['DELETE', `/v3/projects/${own.id}/tags`, undefined],
        ['DELETE', `/v3/projects/${own.id}/tags/a`, undefined],
        ['POST', '/v3/domains', { domain: { name: uniq('d') } }],
        ['PATCH', '/v3/domains/default', { domain: { description: 'x' } }],
        ['DELETE', `/v3/domains/${otherDomain.id}`, undefined],
      ];
      for (const [method, path, body] of checks) {
        const r = await h.request(method, path, { ...t, body });
        assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
        assert.equal(r.body.error.code, 403);
      }
      assert.equal((await h.request('GET', `/v3/projects/${own.id}`)).body.project.name, own.name, 'unchanged');
    });
  });
});
