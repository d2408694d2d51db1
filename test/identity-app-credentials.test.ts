import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

let seq = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++seq}`;

describe('identity: application credentials', () => {
  let h: IdentityHarness;
  let project: any;
  let me: any;
  let other: any;
  let myToken: string;
  let otherToken: string;

  async function createUser(password: string): Promise<any> {
    const r = await h.request('POST', '/v3/users', { body: { user: { name: uniq('user'), password } } });
    assert.equal(r.status, 201, r.text);
    return r.body.user;
  }

  async function grant(userId: string, projectId: string, role: string): Promise<void> {
    const r = await h.server.services.roles.findByName(role);
    assert.ok(r);
    await h.server.services.assignments.grant({
      actor: 'user',
      actorId: userId,
      target: 'project',
      targetId: projectId,
      roleId: r.id,
      inherited: false,
    });
  }

  before(async () => {
    h = await startIdentity();
    project = (await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj') } } })).body.project;
    me = await createUser('my-pw-1');
    other = await createUser('other-pw-1');
    await grant(me.id, project.id, 'member');
    await grant(other.id, project.id, 'member');
    myToken = await h.token({ name: me.name, password: 'my-pw-1' }, { project: { id: project.id } });
    otherToken = await h.token({ name: other.name, password: 'other-pw-1' }, { project: { id: project.id } });
  });
  after(() => h.close());

  const base = (userId: string): string => `/v3/users/${userId}/application_credentials`;

  async function create(body: Record<string, unknown> = {}, token = myToken, userId: string = me.id): Promise<any> {
    const r = await h.request('POST', base(userId), { token, body: { application_credential: { name: uniq('ac'), ...body } } });
    assert.equal(r.status, 201, r.text);
    return r.body.application_credential;
  }

  async function authWith(ident: Record<string, unknown>): Promise<{ status: number; token: string; body: any }> {
    const r = await h.request('POST', '/v3/auth/tokens', {
      token: null,
      body: { auth: { identity: { methods: ['application_credential'], application_credential: ident } } },
    });
    return { status: r.status, token: r.headers.get('x-subject-token') ?? '', body: r.body };
  }

  async function validate(token: string): Promise<{ status: number; body: any }> {
    const r = await h.request('GET', '/v3/auth/tokens', { headers: { 'x-subject-token': token } });
    return { status: r.status, body: r.body };
  }

  it('creates one with a secret shown once, shows, lists and deletes it', async () => {
    const name = uniq('ac');
    const c = await h.request('POST', base(me.id), { token: myToken, body: { application_credential: { name, description: 'ci' } } });
    assert.equal(c.status, 201, c.text);
    const ac = c.body.application_credential;
    assert.match(ac.id, /^[0-9a-f]{32}$/);
    assert.equal(ac.name, name);
    assert.equal(ac.description, 'ci');
    assert.equal(ac.project_id, project.id);
    assert.equal(ac.expires_at, null);
    assert.equal(ac.unrestricted, false);
    assert.equal(typeof ac.secret, 'string');
    assert.ok(ac.secret.length >= 64);
    assert.deepEqual(ac.roles.map((r: any) => r.name).sort(), ['member', 'reader'], 'defaults to the roles of the token');
    assert.match(ac.links.self, new RegExp(`/v3/users/${me.id}/application_credentials/${ac.id}$`));

    const g = await h.request('GET', `${base(me.id)}/${ac.id}`, { token: myToken });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.application_credential.secret, undefined, 'the secret is not shown again');
    const { secret: _s, ...rest } = ac;
    assert.deepEqual(g.body.application_credential, rest);

    const second = await create();
    const list = await h.request('GET', base(me.id), { token: myToken });
    assert.equal(list.status, 200);
    const ids = list.body.application_credentials.map((x: any) => x.id);
    assert.ok(ids.includes(ac.id) && ids.includes(second.id));
    assert.ok(list.body.application_credentials.every((x: any) => x.secret === undefined));
    const byName = await h.request('GET', `${base(me.id)}?name=${name}`, { token: myToken });
    assert.deepEqual(
      byName.body.application_credentials.map((x: any) => x.id),
      [ac.id],
    );

    assert.equal((await h.request('DELETE', `${base(me.id)}/${ac.id}`, { token: myToken })).status, 204);
    assert.equal((await h.request('GET', `${base(me.id)}/${ac.id}`, { token: myToken })).status, 404);
    assert.equal((await h.request('DELETE', `${base(me.id)}/${ac.id}`, { token: myToken })).status, 404);
  });

  it('authenticates by id and secret, and by name with the user', async () => {
    const ac = await create({ secret: 'my-own-secret' });
    const byId = await authWith({ id: ac.id, secret: 'my-own-secret' });
    assert.equal(byId.status, 201, JSON.stringify(byId.body));
    assert.equal(byId.body.token.project.id, project.id);
    assert.deepEqual(byId.body.token.methods, ['application_credential']);
    assert.equal(byId.body.token.user.id, me.id);
    assert.deepEqual(byId.body.token.application_credential, { id: ac.id, name: ac.name, restricted: true });

    const byNameUserId = await authWith({ name: ac.name, secret: 'my-own-secret', user: { id: me.id } });
    assert.equal(byNameUserId.status, 201, JSON.stringify(byNameUserId.body));
    const byNameUserName = await authWith({ name: ac.name, secret: 'my-own-secret', user: { name: me.name, domain: { id: 'default' } } });
    assert.equal(byNameUserName.status, 201, JSON.stringify(byNameUserName.body));

    const v = await validate(byId.token);
    assert.equal(v.status, 200);
    assert.equal(v.body.token.application_credential.id, ac.id);

    assert.equal((await authWith({ id: ac.id, secret: 'wrong' })).status, 401);
    assert.equal((await authWith({ name: ac.name, secret: 'my-own-secret', user: { id: other.id } })).status, 401);
    assert.equal((await authWith({ id: 'nope', secret: 'my-own-secret' })).status, 401);
    assert.equal((await authWith({ name: ac.name, secret: 'my-own-secret' })).status, 400, 'a name needs its user');
  });

  it('gives tokens with only the roles it was created with', async () => {
    const ac = await create({ roles: [{ name: 'reader' }] });
    assert.deepEqual(
      ac.roles.map((r: any) => r.name),
      ['reader'],
    );
    const t = await authWith({ id: ac.id, secret: ac.secret });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    assert.deepEqual(
      t.body.token.roles.map((r: any) => r.name),
      ['reader'],
    );

    const reader = await h.server.services.roles.findByName('reader');
    const byId = await create({ roles: [{ id: reader?.id }] });
    assert.deepEqual(
      byId.roles.map((r: any) => r.id),
      [reader?.id],
    );
  });

  it('refuses roles the token does not carry, unknown roles and bad bodies', async () => {
    const admin = await h.server.services.roles.findByName('admin');
    const cases: [unknown, number][] = [
      [{ application_credential: { name: uniq('ac'), roles: [{ name: 'admin' }] } }, 400],
      [{ application_credential: { name: uniq('ac'), roles: [{ id: admin?.id }] } }, 400],
      [{ application_credential: { name: uniq('ac'), roles: [{ id: 'nope' }] } }, 400],
      [{ application_credential: { name: uniq('ac'), roles: [{ name: 'no-such-role' }] } }, 404],
      [{ application_credential: { name: uniq('ac'), roles: [{ id: admin?.id, name: 'admin' }] } }, 400],
      [{ application_credential: { name: uniq('ac'), roles: [{}] } }, 400],
      [{ application_credential: { name: uniq('ac'), roles: [{ id: admin?.id, domain_id: null }] } }, 400],
      [{ application_credential: {} }, 400],
      [{ application_credential: { name: '' } }, 400],
      [{ application_credential: { name: 'x', unrestricted: 'yes' } }, 400],
      [{ application_credential: { name: 'x', secret: 5 } }, 400],
      [{ application_credential: { name: 'x', access_rules: [{ path: '/v2.1/servers', method: 'GET', service: 'compute' }] } }, 400],
      [{ application_credential: { name: 'x', access_rules: [{ path: 'no-slash' }] } }, 400],
      [{ name: 'x' }, 400],
    ];
    for (const [body, status] of cases) {
      const r = await h.request('POST', base(me.id), { token: myToken, body });
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.error.code, status);
    }
  });

  it('refuses a duplicate name with 409', async () => {
    const ac = await create();
    const r = await h.request('POST', base(me.id), { token: myToken, body: { application_credential: { name: ac.name } } });
    assert.equal(r.status, 409, r.text);
    // Another user may use the same name.
    await create({ name: ac.name }, otherToken, other.id);
  });

  it('keeps expiry to the microsecond and refuses one in the past', async () => {
    // What Tempest sends: a naive UTC isoformat with microseconds, compared verbatim with the answer.
    const sent = '2099-03-04T05:06:07.123456';
    const ac = await create({ expires_at: sent });
    assert.equal(ac.expires_at, sent);
    assert.equal((await h.request('GET', `${base(me.id)}/${ac.id}`, { token: myToken })).body.application_credential.expires_at, sent);
    const zoned = await create({ expires_at: '2099-03-04T07:06:07+02:00' });
    assert.equal(zoned.expires_at, '2099-03-04T05:06:07.000000');

    const soon = new Date(Date.now() + 3600_000);
    const t = await authWith({ id: (await create({ expires_at: soon.toISOString(), secret: 's3cret' })).id, secret: 's3cret' });
    assert.equal(t.status, 201);
    assert.ok(Date.parse(t.body.token.expires_at) <= soon.getTime(), 'a token does not outlive its application credential');

    for (const expires_at of ['2000-01-01T00:00:00Z', new Date(Date.now() - 1000).toISOString(), 'next tuesday', '2099-13-45T99:00:00']) {
      const r = await h.request('POST', base(me.id), {
        token: myToken,
        body: { application_credential: { name: uniq('ac'), expires_at } },
      });
      assert.equal(r.status, 400, `${expires_at}: ${r.text}`);
    }
  });

  it('stops authenticating, and its tokens stop validating, once expired', async () => {
    const ac = await create({ expires_at: new Date(Date.now() + 3600_000).toISOString(), secret: 'expiring' });
    const t = await authWith({ id: ac.id, secret: 'expiring' });
    assert.equal(t.status, 201);
    assert.equal((await validate(t.token)).status, 200);
    // Travel in time: move the expiry into the past.
    await h.server.database.db
      .updateTable('application_credentials')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', ac.id)
      .execute();
    h.server.services.ctx.revision.bump();
    assert.equal((await authWith({ id: ac.id, secret: 'expiring' })).status, 401);
    assert.equal((await validate(t.token)).status, 404);
  });

  it('invalidates its tokens when deleted', async () => {
    const ac = await create({ secret: 'short-lived' });
    const t = await authWith({ id: ac.id, secret: 'short-lived' });
    assert.equal(t.status, 201);
    assert.equal((await validate(t.token)).status, 200);
    assert.equal((await h.request('GET', `/v3/users/${me.id}`, { token: t.token })).status, 200, 'the token works');
    assert.equal((await h.request('DELETE', `${base(me.id)}/${ac.id}`, { token: myToken })).status, 204);
    assert.equal((await validate(t.token)).status, 404);
    assert.equal((await h.request('GET', `/v3/users/${me.id}`, { token: t.token })).status, 401);
    assert.equal((await authWith({ id: ac.id, secret: 'short-lived' })).status, 401);
  });

  it('lets a restricted application credential token manage none, an unrestricted one create more', async () => {
    const restricted = await create({ secret: 'r' });
    const rt = (await authWith({ id: restricted.id, secret: 'r' })).token;
    const c = await h.request('POST', base(me.id), { token: rt, body: { application_credential: { name: uniq('ac') } } });
    assert.equal(c.status, 403, c.text);
    assert.equal((await h.request('DELETE', `${base(me.id)}/${restricted.id}`, { token: rt })).status, 403);

    const unrestricted = await create({ secret: 'u', unrestricted: true });
    assert.equal(unrestricted.unrestricted, true);
    const ut = await authWith({ id: unrestricted.id, secret: 'u' });
    assert.deepEqual(ut.body.token.application_credential, { id: unrestricted.id, name: unrestricted.name, restricted: false });
    const more = await h.request('POST', base(me.id), { token: ut.token, body: { application_credential: { name: uniq('ac') } } });
    assert.equal(more.status, 201, more.text);
  });

  it('keeps users to their own application credentials', async () => {
    const mine = await create();
    const theirs = await create({}, otherToken, other.id);
    const t = { token: myToken };
    const denied: [string, string, unknown][] = [
      ['POST', base(other.id), { application_credential: { name: uniq('ac') } }],
      ['GET', base(other.id), undefined],
      ['GET', `${base(other.id)}/${theirs.id}`, undefined],
      ['DELETE', `${base(other.id)}/${theirs.id}`, undefined],
      // Naming oneself in the path does not open someone else's credential.
      ['GET', `${base(me.id)}/${theirs.id}`, undefined],
      ['DELETE', `${base(me.id)}/${theirs.id}`, undefined],
      ['POST', base(h.adminUserId), { application_credential: { name: uniq('ac') } }],
    ];
    for (const [method, path, body] of denied) {
      const r = await h.request(method, path, { ...t, body });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    }
    assert.equal((await h.request('GET', `${base(other.id)}/${theirs.id}`, { token: otherToken })).status, 200, 'still there');
    assert.equal((await h.request('GET', `${base(me.id)}/nope`, t)).status, 404);

    // An admin reads and deletes anyone's, but creates only its own.
    const list = await h.request('GET', base(me.id));
    assert.equal(list.status, 200);
    assert.ok(list.body.application_credentials.some((x: any) => x.id === mine.id));
    assert.equal((await h.request('GET', `${base(me.id)}/${mine.id}`)).status, 200);
    assert.equal((await h.request('GET', `${base(other.id)}/${mine.id}`)).status, 404, 'under the wrong user');
    assert.equal((await h.request('POST', base(me.id), { body: { application_credential: { name: uniq('ac') } } })).status, 403);
    assert.equal((await h.request('DELETE', `${base(other.id)}/${theirs.id}`)).status, 204);
  });

  it('goes away with its user', async () => {
    const user = await createUser('gone-pw-1');
    await grant(user.id, project.id, 'member');
    const token = await h.token({ name: user.name, password: 'gone-pw-1' }, { project: { id: project.id } });
    const ac = await create({ secret: 'x' }, token, user.id);
    assert.equal((await h.request('DELETE', `/v3/users/${user.id}`)).status, 204);
    assert.equal((await authWith({ id: ac.id, secret: 'x' })).status, 401);
    assert.equal(await h.server.services.appCreds.find(ac.id), undefined);
  });
});
