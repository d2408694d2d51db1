import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

describe('identity extensions: domain config, OS-EP-FILTER, OS-OAUTH1 consumers', () => {
  let h: IdentityHarness;
  let domainId: string;
  before(async () => {
    h = await startIdentity();
    const d = await h.server.services.resources.createDomain({ name: 'ext-domain' });
    domainId = d.id;
  });
  after(() => h.close());

  it('creates, reads, patches and deletes a domain configuration', async () => {
    const config = {
      identity: { driver: 'ldap' },
      ldap: { url: 'ldap://ldap.example.org:389/', user_tree_dn: 'ou=Users,dc=example,dc=org' },
    };
    const put = await h.request('PUT', `/v3/domains/${domainId}/config`, { body: { config } });
    assert.equal(put.status, 201);
    assert.deepEqual(put.body.config, config);
    assert.equal((await h.request('PUT', `/v3/domains/${domainId}/config`, { body: { config } })).status, 200);
    const opt = await h.request('GET', `/v3/domains/${domainId}/config/ldap/url`);
    assert.deepEqual(opt.body, { config: { url: 'ldap://ldap.example.org:389/' } });
    const patched = await h.request('PATCH', `/v3/domains/${domainId}/config/identity`, {
      body: { config: { identity: { driver: 'sql', list_limit: 5 } } },
    });
    assert.deepEqual(patched.body.config.identity, { driver: 'sql', list_limit: 5 });
    assert.equal((await h.request('DELETE', `/v3/domains/${domainId}/config/identity/driver`)).status, 204);
    assert.equal((await h.request('GET', `/v3/domains/${domainId}/config/identity/driver`)).status, 404);
    assert.equal((await h.request('PATCH', `/v3/domains/${domainId}/config`, { body: { config: { nova: { x: 1 } } } })).status, 403);
    assert.equal((await h.request('DELETE', `/v3/domains/${domainId}/config`)).status, 204);
    assert.equal((await h.request('GET', `/v3/domains/${domainId}/config`)).status, 404);
    const defaults = await h.request('GET', '/v3/domains/config/identity/default');
    assert.equal(defaults.body.config.identity.driver, 'sql');
    assert.ok('list_limit' in defaults.body.config.identity);
  });

  it('filters a project catalog by endpoint group and by direct association', async () => {
    const svc = h.server.services;
    const s1 = await svc.catalog.createService({ type: 'compute', name: 'nova' });
    const e1 = await svc.catalog.createEndpoint({
      service_id: s1.id,
      interface: 'public',
      url: 'http://c.example/v2.1',
      region_id: 'RegionOne',
    });
    const project = await svc.resources.createProject({ name: 'filtered' }, 'default');
    const member = await svc.roles.findByName('member');
    await svc.users.create({ name: 'filtered-user', password: 'pw-filtered-1' }, 'default');
    const user = await svc.users.findByName('default', 'filtered-user');
    await svc.assignments.grant({
      actor: 'user',
      actorId: user!.id,
      target: 'project',
      targetId: project.id,
      roleId: member!.id,
      inherited: false,
    });
    const scope = { project: { id: project.id } };
    const types = async (): Promise<string[]> => {
      const token = await h.token({ name: 'filtered-user', password: 'pw-filtered-1' }, scope);
      const r = await h.request('GET', '/v3/auth/catalog', { token });
      return r.body.catalog.map((c: { type: string }) => c.type).sort();
    };
    assert.deepEqual(await types(), ['compute', 'identity']);
    const g = await h.request('POST', '/v3/OS-EP-FILTER/endpoint_groups', {
      body: { endpoint_group: { name: 'compute-only', filters: { service_id: s1.id } } },
    });
    assert.equal(g.status, 201);
    const listed = await h.request('GET', '/v3/OS-EP-FILTER/endpoint_groups');
    assert.deepEqual(
      listed.body.endpoint_groups.find((x: { id: string }) => x.id === g.body.endpoint_group.id),
      g.body.endpoint_group,
    );
    assert.equal((await h.request('HEAD', `/v3/OS-EP-FILTER/endpoint_groups/${g.body.endpoint_group.id}`)).status, 200);
    assert.equal(
      (await h.request('PUT', `/v3/OS-EP-FILTER/endpoint_groups/${g.body.endpoint_group.id}/projects/${project.id}`)).status,
      204,
    );
    assert.deepEqual(await types(), ['compute']);
    const eps = await h.request('GET', `/v3/OS-EP-FILTER/projects/${project.id}/endpoints`);
    assert.deepEqual(
      eps.body.endpoints.map((e: { id: string }) => e.id),
      [e1.id],
    );
    assert.equal((await h.request('DELETE', `/v3/OS-EP-FILTER/endpoint_groups/${g.body.endpoint_group.id}`)).status, 204);
    assert.deepEqual(await types(), ['compute', 'identity']);
    const identityEp = (await svc.catalog.listEndpoints()).find((e) => e.serviceId !== s1.id);
    assert.equal((await h.request('PUT', `/v3/OS-EP-FILTER/projects/${project.id}/endpoints/${identityEp!.id}`)).status, 204);
    assert.deepEqual(await types(), ['identity']);
    assert.equal((await h.request('GET', `/v3/OS-EP-FILTER/projects/${project.id}/endpoints/${e1.id}`)).status, 404);
    const bad = await h.request('POST', '/v3/OS-EP-FILTER/endpoint_groups', {
      body: { endpoint_group: { name: 'x', filters: { color: 'red' } } },
    });
    assert.equal(bad.status, 400);
  });

  it('manages OAuth1 consumers; the secret is shown once', async () => {
    const c = await h.request('POST', '/v3/OS-OAUTH1/consumers', { body: { consumer: { description: 'first' } } });
    assert.equal(c.status, 201);
    assert.equal(typeof c.body.consumer.secret, 'string');
    const shown = await h.request('GET', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`);
    assert.equal(shown.body.consumer.secret, undefined);
    assert.deepEqual(shown.body.consumer.links, c.body.consumer.links);
    const up = await h.request('PATCH', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`, { body: { consumer: { description: 'second' } } });
    assert.equal(up.body.consumer.description, 'second');
    assert.equal(
      (await h.request('PATCH', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`, { body: { consumer: { secret: 'x' } } })).status,
      400,
    );
    assert.ok((await h.request('GET', '/v3/OS-OAUTH1/consumers')).body.consumers.some((x: { id: string }) => x.id === c.body.consumer.id));
    assert.equal((await h.request('DELETE', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`)).status, 204);
    assert.equal((await h.request('GET', `/v3/OS-OAUTH1/consumers/${c.body.consumer.id}`)).status, 404);
  });
});
