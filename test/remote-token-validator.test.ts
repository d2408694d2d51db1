import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KumoError } from '../src/lib/errors.js';
import { RemoteTokenValidator } from '../src/lib/http/remote-token-validator.js';
import { ADMIN_PASSWORD, startIdentity, type IdentityHarness } from './support/identity-harness.js';

describe('RemoteTokenValidator against a real identity service', () => {
  let h: IdentityHarness;
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls++;
    return fetch(input, init);
  };
  const validator = (cacheSeconds: number): RemoteTokenValidator =>
    new RemoteTokenValidator({
      identityUrl: `${h.url}/v3`,
      service: {
        username: 'admin',
        password: ADMIN_PASSWORD,
        projectName: 'admin',
        userDomainName: 'Default',
        projectDomainName: 'Default',
      },
      cacheSeconds,
      fetch: counting,
    });

  before(async () => {
    h = await startIdentity();
  });
  after(() => h.close());

  it('validates a token into the same context as local validation', async () => {
    const v = validator(60);
    const ctx = await v.validate(h.adminToken);
    const local = await h.server.services.tokens.asValidator().validate(h.adminToken);
    assert.equal(ctx.userId, local.userId);
    assert.equal(ctx.projectId, local.projectId);
    assert.deepEqual(ctx.roles.map((r) => r.name).sort(), local.roles.map((r) => r.name).sort());
    assert.equal(ctx.expiresAt.toISOString(), local.expiresAt.toISOString());
  });

  it('caches results, and expires the cache', async () => {
    const v = validator(60);
    await v.validate(h.adminToken);
    const before = calls;
    await v.validate(h.adminToken);
    assert.equal(calls, before, 'second validation must come from the cache');
    const short = validator(0);
    await short.validate(h.adminToken);
    const mid = calls;
    await short.validate(h.adminToken);
    assert.ok(calls > mid, 'with no cache time every validation asks identity');
  });

  it('rejects garbage and revoked tokens with 401', async () => {
    const v = validator(0);
    await assert.rejects(v.validate('not-a-token'), (e: unknown) => e instanceof KumoError && e.status === 401);
    const token = await h.token({ name: 'admin', password: ADMIN_PASSWORD }, { project: { name: 'admin', domain: { name: 'Default' } } });
    await v.validate(token);
    const del = await h.request('DELETE', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });
    assert.equal(del.status, 204);
    await assert.rejects(v.validate(token), (e: unknown) => e instanceof KumoError && e.status === 401);
  });
});
