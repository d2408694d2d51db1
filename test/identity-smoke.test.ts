import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

describe('identity smoke', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await startIdentity();
  });
  after(() => h.close());

  it('validates its own admin token with catalog and roles', async () => {
    const r = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': h.adminToken } });
    assert.equal(r.status, 200);
    assert.equal(r.body.token.project.name, 'admin');
    assert.deepEqual(r.body.token.roles.map((x: { name: string }) => x.name).sort(), ['admin', 'member', 'reader']);
    assert.equal(r.body.token.catalog[0].type, 'identity');
    assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
  });

  it('rejects a garbage token with 401 in Keystone format', async () => {
    const r = await h.request('GET', '/v3/regions', { token: 'garbage' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, {
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
    assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
  });
});
