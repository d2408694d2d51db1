import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

let seq = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++seq}`;

describe('identity: OS-TRUST trusts and trust-scoped tokens', () => {
  let h: IdentityHarness;
  let project: any;
  let trustor: any;
  let trustee: any;
  let stranger: any;
  let trustorToken: string;
  let trusteeToken: string;
  let strangerToken: string;
  let memberRole: any;
  let readerRole: any;
  let extraRole: any;

  async function createUser(password: string): Promise<any> {
    const r = await h.request('POST', '/v3/users', { body: { user: { name: uniq('user'), password } } });
    assert.equal(r.status, 201, r.text);
    return { ...r.body.user, password };
  }

  async function grant(userId: string, projectId: string, roleId: string): Promise<void> {
    const r = await h.request('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${roleId}`);
    assert.equal(r.status, 204, r.text);
  }

  const BASE = '/v3/OS-TRUST/trusts';

  async function createTrust(extra: Record<string, unknown> = {}, token = trustorToken): Promise<any> {
    const r = await h.request('POST', BASE, {
      token,
      body: {
        trust: {
          trustor_user_id: trustor.id,
          trustee_user_id: trustee.id,
          project_id: project.id,
          impersonation: true,
          roles: [{ name: 'member' }],
          ...extra,
        },
      },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.trust;
  }

  async function trustAuth(
    trustId: string,
    user: { name: string; password: string } = trustee,
  ): Promise<{ status: number; token: string; body: any }> {
    const r = await h.request('POST', '/v3/auth/tokens', {
      token: null,
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: user.name, domain: { id: 'default' }, password: user.password } } },
          scope: { 'OS-TRUST:trust': { id: trustId } },
        },
      },
    });
    return { status: r.status, token: r.headers.get('x-subject-token') ?? '', body: r.body };
  }

  const validate = (token: string) => h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });

  before(async () => {
    h = await startIdentity();
    project = (await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj') } } })).body.project;
    trustor = await createUser('trustor-pw-1');
    trustee = await createUser('trustee-pw-1');
    stranger = await createUser('stranger-pw-1');
    const roles = (await h.request('GET', '/v3/roles')).body.roles as any[];
    memberRole = roles.find((r) => r.name === 'member');
    readerRole = roles.find((r) => r.name === 'reader');
    extraRole = (await h.request('POST', '/v3/roles', { body: { role: { name: uniq('extra') } } })).body.role;
    await grant(trustor.id, project.id, memberRole.id);
    await grant(trustor.id, project.id, extraRole.id);
    await grant(stranger.id, project.id, memberRole.id);
    const other = (await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj') } } })).body.project;
    await grant(trustee.id, other.id, memberRole.id);
    trustorToken = await h.token(trustor, { project: { id: project.id } });
    trusteeToken = await h.token(trustee, { project: { id: other.id } });
    strangerToken = await h.token(stranger, { project: { id: project.id } });
  });
  after(() => h.close());

  it('creates a trust as the trustor, with Keystone body shape', async () => {
    const t = await createTrust();
    assert.match(t.id, /^[0-9a-f]{32}$/);
    assert.equal(t.trustor_user_id, trustor.id);
    assert.equal(t.trustee_user_id, trustee.id);
    assert.equal(t.project_id, project.id);
    assert.equal(t.impersonation, true);
    assert.equal(t.expires_at, null);
    assert.equal(t.remaining_uses, null);
    assert.equal(t.allow_redelegation, false);
    assert.equal(t.redelegation_count, 0);
    assert.ok(t.links.self.endsWith(`/v3/OS-TRUST/trusts/${t.id}`));
    assert.deepEqual(
      t.roles.map((r: any) => r.name),
      ['member'],
    );
    assert.ok(t.roles[0].links.self.endsWith(`/v3/roles/${memberRole.id}`));
    assert.ok(t.roles_links.self.endsWith(`/v3/OS-TRUST/trusts/${t.id}/roles`));
  });

  it('keeps expires_at to the microsecond and rejects past or malformed expiries', async () => {
    const at = new Date(Date.now() + 3600_000);
    at.setUTCMilliseconds(0);
    const sent = at.toISOString().replace(/\.000Z$/, 'Z');
    const t = await createTrust({ expires_at: sent });
    assert.equal(t.expires_at, sent.replace(/Z$/, '.000000Z'));
    const got = await h.request('GET', `${BASE}/${t.id}`, { token: trustorToken });
    assert.equal(got.body.trust.expires_at, t.expires_at);
    // A trust-scoped token does not outlive the trust.
    const a = await trustAuth(t.id);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.ok(Date.parse(a.body.token.expires_at) <= at.getTime());

    for (const expires_at of ['2000-01-01T00:00:00Z', 'bad.123Z']) {
      const r = await h.request('POST', BASE, {
        token: trustorToken,
        body: {
          trust: {
            trustor_user_id: trustor.id,
            trustee_user_id: trustee.id,
            project_id: project.id,
            impersonation: false,
            roles: [{ name: 'member' }],
            expires_at,
          },
        },
      });
      assert.equal(r.status, 400, r.text);
    }
  });

  it('rejects bad input with 400, unknown references with 404, and foreign or unheld delegation with 403', async () => {
    const post = (trust: Record<string, unknown>, token = trustorToken) => h.request('POST', BASE, { token, body: { trust } });
    const good = {
      trustor_user_id: trustor.id,
      trustee_user_id: trustee.id,
      project_id: project.id,
      impersonation: true,
      roles: [{ name: 'member' }],
    };
    const { impersonation: _i, ...noImpersonation } = good;
    assert.equal((await post(noImpersonation)).status, 400);
    assert.equal((await post({ ...good, impersonation: 'yes' })).status, 400);
    assert.equal((await post({ ...good, remaining_uses: 0 })).status, 400);
    assert.equal((await post({ ...good, roles: [] })).status, 400);
    assert.equal((await post({ ...good, roles: [{}] })).status, 400);
    assert.equal((await h.request('POST', BASE, { token: trustorToken, body: { nottrust: {} } })).status, 400);
    assert.equal((await post({ ...good, trustee_user_id: 'f'.repeat(32) })).status, 404);
    assert.equal((await post({ ...good, roles: [{ name: uniq('nosuchrole') }] })).status, 404);
    assert.equal((await post({ ...good, project_id: 'f'.repeat(32) })).status, 404);
    // Only the trustor may create its trust, even an admin.
    assert.equal((await post(good, strangerToken)).status, 403);
    assert.equal((await post(good, h.adminToken)).status, 403);
    // The trustor cannot delegate a role it does not hold.
    assert.equal((await post({ ...good, roles: [{ name: 'admin' }] })).status, 403);
  });

  it('lists trusts by trustor or trustee; others and unfiltered non-admins get 403', async () => {
    const t = await createTrust();
    const ids = (r: any): string[] => r.body.trusts.map((x: any) => x.id);
    const mine = await h.request('GET', `${BASE}?trustor_user_id=${trustor.id}`, { token: trustorToken });
    assert.equal(mine.status, 200, mine.text);
    assert.ok(ids(mine).includes(t.id));
    const listed = mine.body.trusts.find((x: any) => x.id === t.id);
    assert.equal(listed.roles, undefined);
    assert.ok(listed.links.self.includes('v3/OS-TRUST/trusts'));
    assert.ok(mine.body.links.self);
    assert.ok(mine.body.trusts.every((x: any) => x.trustor_user_id === trustor.id));

    const theirs = await h.request('GET', `${BASE}/?trustee_user_id=${trustee.id}`, { token: trusteeToken });
    assert.equal(theirs.status, 200, theirs.text);
    assert.ok(ids(theirs).includes(t.id));

    assert.equal((await h.request('GET', `${BASE}?trustor_user_id=${trustor.id}`, { token: trusteeToken })).status, 403);
    assert.equal((await h.request('GET', `${BASE}?trustee_user_id=${trustee.id}`, { token: strangerToken })).status, 403);
    assert.equal((await h.request('GET', BASE, { token: trustorToken })).status, 403);
    const own = await h.request('GET', `${BASE}?trustee_user_id=${stranger.id}`, { token: strangerToken });
    assert.equal(own.status, 200);
    assert.ok(!ids(own).includes(t.id));

    const all = await h.request('GET', BASE);
    assert.equal(all.status, 200);
    assert.ok(ids(all).includes(t.id));
  });

  it('shows a trust and its roles to trustor, trustee and admin only', async () => {
    const t = await createTrust();
    for (const token of [trustorToken, trusteeToken, h.adminToken]) {
      const r = await h.request('GET', `${BASE}/${t.id}`, { token });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.trust.id, t.id);
      assert.equal(r.body.trust.roles[0].name, 'member');
    }
    assert.equal((await h.request('GET', `${BASE}/${t.id}`, { token: strangerToken })).status, 403);
    assert.equal((await h.request('GET', `${BASE}/${t.id}/roles`, { token: strangerToken })).status, 403);
    assert.equal((await h.request('DELETE', `${BASE}/${t.id}`, { token: strangerToken })).status, 403);
    assert.equal((await h.request('GET', `${BASE}/${'f'.repeat(32)}`, { token: trustorToken })).status, 404);

    const roles = await h.request('GET', `${BASE}/${t.id}/roles`, { token: trustorToken });
    assert.equal(roles.status, 200);
    assert.deepEqual(
      roles.body.roles.map((r: any) => r.id),
      [memberRole.id],
    );
    const one = await h.request('GET', `${BASE}/${t.id}/roles/${memberRole.id}`, { token: trustorToken });
    assert.equal(one.status, 200);
    assert.equal(one.body.role.name, 'member');
    assert.ok(one.body.role.links.self.endsWith(`/v3/roles/${memberRole.id}`));
    assert.equal((await h.request('HEAD', `${BASE}/${t.id}/roles/${memberRole.id}`, { token: trustorToken })).status, 200);
    assert.equal((await h.request('GET', `${BASE}/${t.id}/roles/${extraRole.id}`, { token: trustorToken })).status, 404);
    assert.equal((await h.request('HEAD', `${BASE}/${t.id}/roles/${extraRole.id}`, { token: trustorToken })).status, 404);
  });

  it('issues an impersonating trust-scoped token: user is the trustor, roles are the delegated ones', async () => {
    const t = await createTrust();
    const a = await trustAuth(t.id);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const tok = a.body.token;
    assert.equal(tok.user.id, trustor.id);
    assert.equal(tok.project.id, project.id);
    assert.deepEqual(tok.roles.map((r: any) => r.name).sort(), ['member', 'reader']);
    assert.deepEqual(tok['OS-TRUST:trust'], {
      id: t.id,
      impersonation: true,
      trustee_user: { id: trustee.id },
      trustor_user: { id: trustor.id },
    });
    const v = await validate(a.token);
    assert.equal(v.status, 200, v.text);
    assert.equal(v.body.token.user.id, trustor.id);
    assert.equal(v.body.token['OS-TRUST:trust'].id, t.id);
    // The token works as X-Auth-Token, with the trustor's identity and the delegated roles only.
    const self = await h.request('GET', `/v3/users/${trustor.id}`, { token: a.token });
    assert.equal(self.status, 200, self.text);
  });

  it('issues a non-impersonating trust-scoped token: user is the trustee', async () => {
    const t = await createTrust({ impersonation: false });
    assert.equal(t.impersonation, false);
    const a = await trustAuth(t.id);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.token.user.id, trustee.id);
    assert.equal(a.body.token.project.id, project.id);
    assert.ok(a.body.token.roles.some((r: any) => r.id === readerRole.id));
    assert.ok(!a.body.token.roles.some((r: any) => r.id === extraRole.id));
    assert.equal(a.body.token['OS-TRUST:trust'].impersonation, false);
    assert.equal((await validate(a.token)).body.token.user.id, trustee.id);
  });

  it('lets only the trustee use a trust, and a trust token neither rescopes nor delegates', async () => {
    const t = await createTrust();
    assert.equal((await trustAuth(t.id, trustor)).status, 403);
    assert.equal((await trustAuth(t.id, stranger)).status, 403);
    assert.equal((await trustAuth('f'.repeat(32))).status, 401);
    const a = await trustAuth(t.id);
    const rescope = await h.request('POST', '/v3/auth/tokens', {
      token: null,
      body: { auth: { identity: { methods: ['token'], token: { id: a.token } }, scope: { project: { id: project.id } } } },
    });
    assert.equal(rescope.status, 403, rescope.text);
    const redelegate = await h.request('POST', BASE, {
      token: a.token,
      body: {
        trust: {
          trustor_user_id: trustor.id,
          trustee_user_id: stranger.id,
          project_id: project.id,
          impersonation: false,
          roles: [{ name: 'member' }],
        },
      },
    });
    assert.equal(redelegate.status, 403, redelegate.text);
    // Impersonating: the token acts as the trustor, who could otherwise create one on this project.
    const appCred = await h.request('POST', `/v3/users/${trustor.id}/application_credentials`, {
      token: a.token,
      body: { application_credential: { name: 'from-a-trust' } },
    });
    assert.equal(appCred.status, 403, 'a trust token cannot mint application credentials');
    const mixed = await h.request('POST', '/v3/auth/tokens', {
      token: null,
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { id: trustee.id, password: trustee.password } } },
          scope: { project: { id: project.id }, 'OS-TRUST:trust': { id: t.id } },
        },
      },
    });
    assert.equal(mixed.status, 400);
  });

  it('counts remaining_uses down and refuses tokens once used up', async () => {
    const t = await createTrust({ remaining_uses: 2 });
    assert.equal(t.remaining_uses, 2);
    const first = await trustAuth(t.id);
    assert.equal(first.status, 201);
    assert.equal((await h.request('GET', `${BASE}/${t.id}`, { token: trustorToken })).body.trust.remaining_uses, 1);
    assert.equal((await trustAuth(t.id)).status, 201);
    assert.equal((await trustAuth(t.id)).status, 401);
    // Like Keystone, a used-up trust is no longer found.
    assert.equal((await h.request('GET', `${BASE}/${t.id}`, { token: trustorToken })).status, 404);
  });

  it('deleting a trust revokes its tokens', async () => {
    const t = await createTrust();
    const a = await trustAuth(t.id);
    assert.equal((await validate(a.token)).status, 200);
    const d = await h.request('DELETE', `${BASE}/${t.id}`, { token: trustorToken });
    assert.equal(d.status, 204, d.text);
    assert.equal((await validate(a.token)).status, 404);
    assert.equal((await h.request('GET', `/v3/users/${trustor.id}`, { token: a.token })).status, 401);
    assert.equal((await trustAuth(t.id)).status, 401);
    assert.equal((await h.request('GET', `${BASE}/${t.id}`, { token: trustorToken })).status, 404);
    assert.equal((await h.request('DELETE', `${BASE}/${t.id}`, { token: trustorToken })).status, 404);
  });

  it('trust tokens stop validating when the trustor loses the role or is disabled, or the trustee is deleted', async () => {
    const t = await createTrust({ roles: [{ id: extraRole.id }] });
    const a = await trustAuth(t.id);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.deepEqual(
      a.body.token.roles.map((r: any) => r.id),
      [extraRole.id],
    );
    assert.equal((await h.request('DELETE', `/v3/projects/${project.id}/users/${trustor.id}/roles/${extraRole.id}`)).status, 204);
    assert.equal((await validate(a.token)).status, 404);
    assert.equal((await trustAuth(t.id)).status, 401);
    await grant(trustor.id, project.id, extraRole.id);
    // Removing a role revoked the trustor's own tokens too.
    trustorToken = await h.token(trustor, { project: { id: project.id } });

    const t2 = await createTrust();
    const b = await trustAuth(t2.id);
    assert.equal((await validate(b.token)).status, 200);
    assert.equal((await h.request('PATCH', `/v3/users/${trustor.id}`, { body: { user: { enabled: false } } })).status, 200);
    assert.equal((await validate(b.token)).status, 404);
    assert.equal((await h.request('PATCH', `/v3/users/${trustor.id}`, { body: { user: { enabled: true } } })).status, 200);
    trustorToken = await h.token(trustor, { project: { id: project.id } });

    const doomed = await createUser('doomed-pw-1');
    const t3 = await createTrust({ trustee_user_id: doomed.id, impersonation: false });
    const c = await trustAuth(t3.id, doomed);
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal((await h.request('DELETE', `/v3/users/${doomed.id}`)).status, 204);
    assert.equal((await validate(c.token)).status, 404);
    assert.equal((await h.request('GET', `${BASE}/${t3.id}`)).status, 404);
  });
});
