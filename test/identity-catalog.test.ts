import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

let seq = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++seq}`;

describe('identity: services, endpoints and policies', () => {
  let h: IdentityHarness;
  let memberToken: string;
  before(async () => {
    h = await startIdentity();
    const project = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj') } } });
    const user = await h.request('POST', '/v3/users', { body: { user: { name: uniq('user'), password: 'member-pw-1' } } });
    const member = await h.server.services.roles.findByName('member');
    assert.ok(member);
    await h.server.services.assignments.grant({
      actor: 'user',
      actorId: user.body.user.id,
      target: 'project',
      targetId: project.body.project.id,
      roleId: member.id,
      inherited: false,
    });
    memberToken = await h.token({ name: user.body.user.name, password: 'member-pw-1' }, { project: { id: project.body.project.id } });
  });
  after(() => h.close());

  async function createService(body: Record<string, unknown> = {}): Promise<any> {
    const r = await h.request('POST', '/v3/services', { body: { service: { type: uniq('type'), name: uniq('svc'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.service;
  }

  async function createEndpoint(body: Record<string, unknown>): Promise<any> {
    const r = await h.request('POST', '/v3/endpoints', {
      body: { endpoint: { interface: 'public', url: 'http://example.com:1234/v1', ...body } },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.endpoint;
  }

  describe('services', () => {
    it('creates, shows, lists, updates and deletes a service', async () => {
      const type = uniq('type');
      const c = await h.request('POST', '/v3/services', {
        body: { service: { type, name: 'nova', description: 'Compute', color: 'blue' } },
      });
      assert.equal(c.status, 201, c.text);
      const s = c.body.service;
      assert.match(s.id, /^[0-9a-f]{32}$/);
      assert.equal(s.type, type);
      assert.equal(s.name, 'nova');
      assert.equal(s.description, 'Compute');
      assert.equal(s.enabled, true);
      assert.equal(s.color, 'blue', 'unknown attributes are kept');
      assert.match(s.links.self, new RegExp(`/v3/services/${s.id}$`));

      const g = await h.request('GET', `/v3/services/${s.id}`);
      assert.equal(g.status, 200);
      assert.deepEqual(g.body.service, s);

      const all = await h.request('GET', '/v3/services');
      assert.equal(all.status, 200);
      assert.ok(all.body.services.some((x: any) => x.id === s.id));
      assert.ok(
        all.body.services.some((x: any) => x.type === 'identity'),
        'bootstrap service listed',
      );
      assert.equal(all.body.links.next, null);
      const byType = await h.request('GET', `/v3/services?type=${type}`);
      assert.deepEqual(
        byType.body.services.map((x: any) => x.id),
        [s.id],
      );
      const byName = await h.request('GET', '/v3/services?name=keystone');
      assert.deepEqual(
        byName.body.services.map((x: any) => x.type),
        ['identity'],
      );

      const u = await h.request('PATCH', `/v3/services/${s.id}`, { body: { service: { description: 'Compute v2', enabled: false } } });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.service.description, 'Compute v2');
      assert.equal(u.body.service.enabled, false);
      assert.equal(u.body.service.name, 'nova');
      assert.deepEqual((await h.request('GET', `/v3/services/${s.id}`)).body.service, u.body.service);

      assert.equal((await h.request('DELETE', `/v3/services/${s.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/services/${s.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/services/${s.id}`)).status, 404);
    });

    it('creates a service from a type alone', async () => {
      const r = await h.request('POST', '/v3/services', { body: { service: { type: uniq('type') } } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.service.name, '');
      assert.equal(r.body.service.enabled, true);
    });

    it('rejects bad service bodies with 400', async () => {
      const s = await createService();
      for (const body of [
        { service: {} },
        { service: { name: 'x' } },
        { service: { type: '' } },
        { service: { type: 'x'.repeat(256) } },
        { service: { type: 't', enabled: 'True' } },
        { service: { type: 't', name: 42 } },
        { service: { type: 't' }, extra: 1 },
        {},
      ]) {
        const r = await h.request('POST', '/v3/services', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.body.error.code, 400);
      }
      for (const body of [{ service: {} }, { service: { enabled: 1 } }, { service: { id: 'other' } }]) {
        const r = await h.request('PATCH', `/v3/services/${s.id}`, { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      }
      assert.equal((await h.request('PATCH', `/v3/services/${s.id}`, { body: { service: { id: s.id, name: 'same-id' } } })).status, 200);
    });

    it('answers 404 for unknown services', async () => {
      assert.equal((await h.request('GET', '/v3/services/nope')).status, 404);
      const r = await h.request('PATCH', '/v3/services/nope', { body: { service: { name: 'x' } } });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.message, 'Could not find service: nope.');
      assert.equal((await h.request('DELETE', '/v3/services/nope')).status, 404);
    });
  });

  describe('endpoints', () => {
    it('creates, shows, lists, updates and deletes an endpoint', async () => {
      const s = await createService();
      const s2 = await createService();
      const e = await createEndpoint({ service_id: s.id, region_id: 'RegionOne', url: 'http://compute:8774/v2.1', note: 'x' });
      assert.match(e.id, /^[0-9a-f]{32}$/);
      assert.equal(e.service_id, s.id);
      assert.equal(e.interface, 'public');
      assert.equal(e.region_id, 'RegionOne');
      assert.equal(e.region, 'RegionOne');
      assert.equal(e.url, 'http://compute:8774/v2.1');
      assert.equal(e.enabled, true);
      assert.equal(e.note, 'x');
      assert.match(e.links.self, new RegExp(`/v3/endpoints/${e.id}$`));
      const internal = await createEndpoint({ service_id: s.id, interface: 'internal' });
      assert.equal(internal.region_id, null);

      assert.deepEqual((await h.request('GET', `/v3/endpoints/${e.id}`)).body.endpoint, e);
      const all = await h.request('GET', '/v3/endpoints');
      assert.ok(all.body.endpoints.some((x: any) => x.id === e.id));
      const bySvc = await h.request('GET', `/v3/endpoints?service_id=${s.id}`);
      assert.deepEqual(bySvc.body.endpoints.map((x: any) => x.id).sort(), [e.id, internal.id].sort());
      const byIface = await h.request('GET', `/v3/endpoints?service_id=${s.id}&interface=internal`);
      assert.deepEqual(
        byIface.body.endpoints.map((x: any) => x.id),
        [internal.id],
      );
      const byRegion = await h.request('GET', `/v3/endpoints?service_id=${s.id}&region_id=RegionOne`);
      assert.deepEqual(
        byRegion.body.endpoints.map((x: any) => x.id),
        [e.id],
      );

      const u = await h.request('PATCH', `/v3/endpoints/${e.id}`, {
        body: { endpoint: { service_id: s2.id, interface: 'admin', url: 'https://compute/v2', enabled: false } },
      });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.endpoint.service_id, s2.id);
      assert.equal(u.body.endpoint.interface, 'admin');
      assert.equal(u.body.endpoint.url, 'https://compute/v2');
      assert.equal(u.body.endpoint.enabled, false);
      assert.equal(u.body.endpoint.region_id, 'RegionOne');
      assert.deepEqual((await h.request('GET', `/v3/endpoints/${e.id}`)).body.endpoint, u.body.endpoint);

      assert.equal((await h.request('DELETE', `/v3/endpoints/${e.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/endpoints/${e.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/endpoints/${e.id}`)).status, 404);
    });

    it('creates the region a legacy `region` names, as Tempest expects', async () => {
      const s = await createService();
      const region = uniq('region');
      const e = await createEndpoint({ service_id: s.id, region });
      assert.equal(e.region, region);
      assert.equal(e.region_id, region);
      assert.equal((await h.request('GET', `/v3/regions/${region}`)).status, 200);
      const region2 = uniq('region');
      const u = await h.request('PATCH', `/v3/endpoints/${e.id}`, { body: { endpoint: { region: region2 } } });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.endpoint.region, region2);
      assert.equal((await h.request('GET', `/v3/regions/${region2}`)).status, 200);
    });

    it('refuses unknown services and regions, bad interfaces, URLs and flags with 400', async () => {
      const s = await createService();
      const e = await createEndpoint({ service_id: s.id });
      const bad: Record<string, unknown>[] = [
        { service_id: 'nope', interface: 'public', url: 'http://x/' },
        { service_id: s.id, interface: 'public', url: 'http://x/', region_id: 'no-such-region' },
        { service_id: s.id, interface: 'private', url: 'http://x/' },
        { service_id: s.id, url: 'http://x/' },
        { service_id: s.id, interface: 'public' },
        { interface: 'public', url: 'http://x/' },
        { service_id: s.id, interface: 'public', url: 'not a url' },
        { service_id: s.id, interface: 'public', url: 'http://x/$(bogus)s' },
        { service_id: s.id, interface: 'public', url: 'http://x/a%20b' },
        { service_id: s.id, interface: 'public', url: 'http://x/', enabled: 'False' },
        { service_id: s.id, interface: 'public', url: 'http://x/', region_id: null },
      ];
      for (const endpoint of bad) {
        const r = await h.request('POST', '/v3/endpoints', { body: { endpoint } });
        assert.equal(r.status, 400, `${JSON.stringify(endpoint)}: ${r.text}`);
        assert.equal(r.body.error.code, 400);
      }
      const unknownSvc = await h.request('POST', '/v3/endpoints', { body: { endpoint: bad[0] } });
      assert.match(unknownSvc.body.error.message, /Expecting to find endpoint service_id in service table/);
      const unknownRegion = await h.request('POST', '/v3/endpoints', { body: { endpoint: bad[1] } });
      assert.match(unknownRegion.body.error.message, /Expecting to find endpoint region_id in region table/);
      for (const endpoint of [
        {},
        { service_id: 'nope' },
        { region_id: 'no-such-region' },
        { interface: 'x' },
        { enabled: 'True' },
        { id: 'other' },
      ]) {
        const r = await h.request('PATCH', `/v3/endpoints/${e.id}`, { body: { endpoint } });
        assert.equal(r.status, 400, `${JSON.stringify(endpoint)}: ${r.text}`);
      }
      assert.equal((await h.request('PATCH', '/v3/endpoints/nope', { body: { endpoint: { url: 'http://x/' } } })).status, 404);
    });

    it('accepts the URL substitutions Keystone allows and fills them in project catalogs', async () => {
      const s = await createService({ type: uniq('compute') });
      const e = await createEndpoint({ service_id: s.id, region_id: 'RegionOne', url: 'http://compute:8774/v2.1/$(project_id)s' });
      await createEndpoint({ service_id: s.id, interface: 'admin', url: 'http://compute:8774/%(tenant_id)s/%%' });
      const v = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': h.adminToken } });
      assert.equal(v.status, 200);
      const entry = v.body.token.catalog.find((c: any) => c.id === s.id);
      assert.ok(entry, 'new service in the catalog');
      const pub = entry.endpoints.find((x: any) => x.id === e.id);
      assert.equal(pub.url, `http://compute:8774/v2.1/${h.adminProjectId}`);
    });

    it('deleting a service deletes its endpoints', async () => {
      const s = await createService();
      const e = await createEndpoint({ service_id: s.id });
      assert.equal((await h.request('DELETE', `/v3/services/${s.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/endpoints/${e.id}`)).status, 404);
    });

    it('keeps regions that hold endpoints, or whose children do, from being deleted', async () => {
      const s = await createService();
      const parent = uniq('region');
      const child = uniq('region');
      assert.equal((await h.request('POST', '/v3/regions', { body: { region: { id: parent } } })).status, 201);
      assert.equal((await h.request('POST', '/v3/regions', { body: { region: { id: child, parent_region_id: parent } } })).status, 201);
      const e = await createEndpoint({ service_id: s.id, region_id: child });
      const { catalog } = h.server.services;
      await assert.rejects(catalog.assertRegionUnused(child), (err: any) => err.status === 403);
      await assert.rejects(catalog.assertRegionUnused(parent), (err: any) => err.status === 403 && /child regions/.test(err.message));
      await h.request('DELETE', `/v3/endpoints/${e.id}`);
      await catalog.assertRegionUnused(parent);
    });
  });

  describe('policies', () => {
    it('creates, shows, lists, updates and deletes a policy', async () => {
      const blob = JSON.stringify({ 'compute:create': '' });
      const c = await h.request('POST', '/v3/policies', {
        body: { policy: { blob, type: 'application/json', id: 'ignored', owner: 'ops' } },
      });
      assert.equal(c.status, 201, c.text);
      const p = c.body.policy;
      assert.match(p.id, /^[0-9a-f]{32}$/, 'the server picks the ID');
      assert.equal(p.blob, blob);
      assert.equal(p.type, 'application/json');
      assert.equal(p.owner, 'ops');
      assert.match(p.links.self, new RegExp(`/v3/policies/${p.id}$`));
      assert.deepEqual((await h.request('GET', `/v3/policies/${p.id}`)).body.policy, p);

      const other = await h.request('POST', '/v3/policies', { body: { policy: { blob: 'x', type: 'text/plain' } } });
      const list = await h.request('GET', '/v3/policies');
      assert.deepEqual(list.body.policies.map((x: any) => x.id).sort(), [p.id, other.body.policy.id].sort());
      const byType = await h.request('GET', '/v3/policies?type=text/plain');
      assert.deepEqual(
        byType.body.policies.map((x: any) => x.id),
        [other.body.policy.id],
      );

      const u = await h.request('PATCH', `/v3/policies/${p.id}`, { body: { policy: { type: 'application/yaml' } } });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.policy.type, 'application/yaml');
      assert.equal(u.body.policy.blob, blob);
      assert.deepEqual((await h.request('GET', `/v3/policies/${p.id}`)).body.policy, u.body.policy);

      assert.equal((await h.request('DELETE', `/v3/policies/${p.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/policies/${p.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/policies/${p.id}`)).status, 404);
      assert.equal((await h.request('PATCH', `/v3/policies/${p.id}`, { body: { policy: { type: 'x' } } })).status, 404);
    });

    it('rejects bad policy bodies with 400', async () => {
      for (const body of [
        { policy: { type: 'x' } },
        { policy: { blob: 'x' } },
        { policy: { blob: {}, type: 'x' } },
        { policy: { blob: 'x', type: 'y'.repeat(256) } },
        {},
      ]) {
        const r = await h.request('POST', '/v3/policies', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      }
      const p = await h.request('POST', '/v3/policies', { body: { policy: { blob: 'x', type: 'y' } } });
      assert.equal((await h.request('PATCH', `/v3/policies/${p.body.policy.id}`, { body: { policy: {} } })).status, 400);
      assert.equal((await h.request('PATCH', `/v3/policies/${p.body.policy.id}`, { body: { policy: { blob: 5 } } })).status, 400);
    });
  });

  describe('authorization of a project member', () => {
    it('can neither read nor change services, endpoints or policies', async () => {
      const s = await createService();
      const e = await createEndpoint({ service_id: s.id });
      const p = (await h.request('POST', '/v3/policies', { body: { policy: { blob: 'x', type: 'y' } } })).body.policy;
      const checks: [string, string, unknown][] = [
        ['GET', '/v3/services', undefined],
        ['GET', `/v3/services/${s.id}`, undefined],
        ['POST', '/v3/services', { service: { type: 'mine' } }],
        ['PATCH', `/v3/services/${s.id}`, { service: { name: 'mine' } }],
        ['DELETE', `/v3/services/${s.id}`, undefined],
        ['GET', '/v3/endpoints', undefined],
        ['GET', `/v3/endpoints/${e.id}`, undefined],
        ['POST', '/v3/endpoints', { endpoint: { service_id: s.id, interface: 'public', url: 'http://evil/' } }],
        ['PATCH', `/v3/endpoints/${e.id}`, { endpoint: { url: 'http://evil/' } }],
        ['DELETE', `/v3/endpoints/${e.id}`, undefined],
        ['GET', '/v3/policies', undefined],
        ['GET', `/v3/policies/${p.id}`, undefined],
        ['POST', '/v3/policies', { policy: { blob: 'x', type: 'y' } }],
        ['PATCH', `/v3/policies/${p.id}`, { policy: { blob: 'mine' } }],
        ['DELETE', `/v3/policies/${p.id}`, undefined],
      ];
      for (const [method, path, body] of checks) {
        const r = await h.request(method, path, { token: memberToken, body });
        assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
        assert.equal(r.body.error.code, 403);
      }
      assert.equal((await h.request('GET', `/v3/endpoints/${e.id}`)).body.endpoint.url, e.url, 'nothing changed');
    });
  });
});
