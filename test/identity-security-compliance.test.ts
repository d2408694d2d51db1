import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

const auth = (h: IdentityHarness, userId: string, password: string) =>
  h.request('POST', '/v3/auth/tokens', {
    token: null,
    body: { auth: { identity: { methods: ['password'], password: { user: { id: userId, password } } } } },
  });

const change = (h: IdentityHarness, userId: string, original: string, password: string) =>
  h.request('POST', `/v3/users/${userId}/password`, { token: null, body: { user: { original_password: original, password } } });

describe('identity security compliance (enabled)', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await startIdentity({
      env: {
        KUMO_IDENTITY_LOCKOUT_FAILURE_ATTEMPTS: '2',
        KUMO_IDENTITY_LOCKOUT_DURATION: '1',
        KUMO_IDENTITY_UNIQUE_LAST_PASSWORD_COUNT: '2',
        KUMO_IDENTITY_PASSWORD_REGEX: '^.{8,}$',
        KUMO_IDENTITY_PASSWORD_REGEX_DESCRIPTION: 'at least 8 characters',
        KUMO_IDENTITY_PASSWORD_EXPIRES_DAYS: '90',
      },
    });
  });
  after(() => h.close());

  const newUser = async (name: string, password: string): Promise<string> => {
    const r = await h.request('POST', '/v3/users', { body: { user: { name, password, domain_id: 'default' } } });
    assert.equal(r.status, 201, r.text);
    return r.body.user.id as string;
  };

  it('locks out after the configured failures, and unlocks after the duration', async () => {
    const id = await newUser('lock-me', 'right-password-1');
    assert.equal((await auth(h, id, 'right-password-1')).status, 201);
    assert.equal((await auth(h, id, 'wrong-password-1')).status, 401);
    assert.equal((await auth(h, id, 'wrong-password-2')).status, 401);
    const locked = await auth(h, id, 'right-password-1');
    assert.equal(locked.status, 401);
    assert.match(locked.body.error.message, /locked/);
    await sleep(1200);
    assert.equal((await auth(h, id, 'right-password-1')).status, 201);
    // The lockout is over for good: one more miss does not lock again.
    assert.equal((await auth(h, id, 'wrong-password-3')).status, 401);
    assert.equal((await auth(h, id, 'right-password-1')).status, 201);
  });

  it('refuses the current and the previous password (history of 2), accepts a third', async () => {
    const id = await newUser('history', 'first-password');
    assert.equal((await change(h, id, 'first-password', 'second-password')).status, 204);
    assert.equal((await change(h, id, 'second-password', 'second-password')).status, 400);
    assert.equal((await change(h, id, 'second-password', 'first-password')).status, 400);
    assert.equal((await change(h, id, 'second-password', 'third-password')).status, 204);
    assert.equal((await change(h, id, 'third-password', 'first-password')).status, 204, 'three back is allowed with a history of 2');
  });

  it('enforces the password regex with its description', async () => {
    const r = await h.request('POST', '/v3/users', { body: { user: { name: 'short', password: 'short' } } });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /at least 8 characters/);
  });

  it('sets and shows password expiry', async () => {
    const id = await newUser('expiring', 'expiring-password');
    const u = await h.request('GET', `/v3/users/${id}`);
    const days = (Date.parse(u.body.user.password_expires_at) - Date.now()) / 86_400_000;
    assert.ok(days > 89.9 && days <= 90, `expires in ${days} days`);
  });
});

describe('identity security compliance: change on first use', () => {
  let h: IdentityHarness;
  before(async () => {
    h = await startIdentity({ env: { KUMO_IDENTITY_CHANGE_PASSWORD_UPON_FIRST_USE: 'true' } });
  });
  after(() => h.close());

  it('requires a self-service change before an admin-set password can be used', async () => {
    const r = await h.request('POST', '/v3/users', { body: { user: { name: 'first-use', password: 'admin-set-password' } } });
    const id = r.body.user.id as string;
    const denied = await auth(h, id, 'admin-set-password');
    assert.equal(denied.status, 401);
    assert.match(denied.body.error.message, /expired/);
    assert.equal((await change(h, id, 'admin-set-password', 'my-own-password')).status, 204);
    assert.equal((await auth(h, id, 'my-own-password')).status, 201);
  });
});
