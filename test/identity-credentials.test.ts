import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startIdentity, type IdentityHarness } from './support/identity-harness.js';

let seq = 0;
const uniq = (p: string): string => `${p}-${process.pid}-${++seq}`;
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('identity: credentials and OS-EC2', () => {
  let h: IdentityHarness;
  let project: any;
  let project2: any;
  let me: any;
  let other: any;
  let myToken: string;

  async function createUser(password?: string): Promise<any> {
    const r = await h.request('POST', '/v3/users', { body: { user: { name: uniq('user'), ...(password ? { password } : {}) } } });
    assert.equal(r.status, 201, r.text);
    return r.body.user;
  }

  async function createProject(): Promise<any> {
    const r = await h.request('POST', '/v3/projects', { body: { project: { name: uniq('proj') } } });
    assert.equal(r.status, 201, r.text);
    return r.body.project;
  }

  before(async () => {
    h = await startIdentity();
    project = await createProject();
    project2 = await createProject();
    me = await createUser('my-pw-1');
    other = await createUser();
    const member = await h.server.services.roles.findByName('member');
    assert.ok(member);
    await h.server.services.assignments.grant({
      actor: 'user',
      actorId: me.id,
      target: 'project',
      targetId: project.id,
      roleId: member.id,
      inherited: false,
    });
    myToken = await h.token({ name: me.name, password: 'my-pw-1' }, { project: { id: project.id } });
  });
  after(() => h.close());

  const ec2Blob = (access = uniq('access'), secret = uniq('secret')): string => JSON.stringify({ access, secret });

  async function create(credential: Record<string, unknown>, token?: string): Promise<any> {
    const r = await h.request('POST', '/v3/credentials', { token, body: { credential } });
    assert.equal(r.status, 201, r.text);
    return r.body.credential;
  }

  describe('/v3/credentials', () => {
    it('creates an ec2 credential keyed by the hash of its access key, shows, updates and deletes it', async () => {
      const access = uniq('access');
      const blob = JSON.stringify({ access, secret: 'sekrit' });
      const c = await create({ user_id: me.id, project_id: project.id, type: 'ec2', blob, label: 'ci' });
      assert.equal(c.id, sha256(access));
      assert.equal(c.user_id, me.id);
      assert.equal(c.project_id, project.id);
      assert.equal(c.type, 'ec2');
      assert.equal(c.blob, blob);
      assert.equal(c.label, 'ci', 'extra attributes are kept');
      assert.match(c.links.self, new RegExp(`/v3/credentials/${c.id}$`));
      assert.deepEqual((await h.request('GET', `/v3/credentials/${c.id}`)).body.credential, c);

      // As Tempest: a new key pair and another project, the ID stays.
      const blob2 = JSON.stringify({ access: uniq('access'), secret: 'new' });
      const u = await h.request('PATCH', `/v3/credentials/${c.id}`, {
        body: { credential: { blob: blob2, project_id: project2.id, type: 'ec2' } },
      });
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.credential.id, c.id);
      assert.equal(u.body.credential.project_id, project2.id);
      assert.equal(u.body.credential.user_id, me.id);
      assert.deepEqual(JSON.parse(u.body.credential.blob), JSON.parse(blob2));
      assert.deepEqual((await h.request('GET', `/v3/credentials/${c.id}`)).body.credential, u.body.credential);

      assert.equal((await h.request('DELETE', `/v3/credentials/${c.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/credentials/${c.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/credentials/${c.id}`)).status, 404);
      assert.equal((await h.request('PATCH', `/v3/credentials/${c.id}`, { body: { credential: { blob: 'x' } } })).status, 404);
    });

    it('creates other types with a generated ID and no project', async () => {
      const c = await create({ user_id: me.id, type: 'totp', blob: 'GEZDGNBVGY3TQOJQ' });
      assert.match(c.id, /^[0-9a-f]{32}$/);
      assert.equal(c.project_id, null);
      assert.equal(c.blob, 'GEZDGNBVGY3TQOJQ');
      const u = await h.request('PATCH', `/v3/credentials/${c.id}`, { body: { credential: { blob: 'other' } } });
      assert.equal(u.status, 200);
      assert.equal(u.body.credential.blob, 'other');
      const toEc2 = await h.request('PATCH', `/v3/credentials/${c.id}`, { body: { credential: { type: 'ec2' } } });
      assert.equal(toEc2.status, 400, 'an ec2 credential needs a project');
    });

    it('lists with user_id and type filters', async () => {
      const a = await create({ user_id: other.id, project_id: project.id, type: 'ec2', blob: ec2Blob() });
      const b = await create({ user_id: other.id, type: 'cert', blob: '-----BEGIN CERTIFICATE-----' });
      const all = await h.request('GET', '/v3/credentials');
      assert.equal(all.status, 200);
      const ids = all.body.credentials.map((x: any) => x.id);
      assert.ok(ids.includes(a.id) && ids.includes(b.id));
      assert.equal(all.body.links.next, null);
      const mine = await h.request('GET', `/v3/credentials?user_id=${other.id}`);
      assert.deepEqual(mine.body.credentials.map((x: any) => x.id).sort(), [a.id, b.id].sort());
      const certs = await h.request('GET', `/v3/credentials?user_id=${other.id}&type=cert`);
      assert.deepEqual(
        certs.body.credentials.map((x: any) => x.id),
        [b.id],
      );
      assert.equal(certs.body.credentials[0].blob, '-----BEGIN CERTIFICATE-----');
    });

    it('refuses duplicates with 409 and bad bodies with 400', async () => {
      const blob = ec2Blob();
      await create({ user_id: me.id, project_id: project.id, type: 'ec2', blob });
      const dup = await h.request('POST', '/v3/credentials', {
        body: { credential: { user_id: other.id, project_id: project.id, type: 'ec2', blob } },
      });
      assert.equal(dup.status, 409, dup.text);
      const bad: unknown[] = [
        { credential: { user_id: me.id, type: 'ec2', blob: ec2Blob() } },
        { credential: { user_id: me.id, project_id: project.id, type: 'ec2', blob: 'not json' } },
        { credential: { user_id: me.id, project_id: project.id, type: 'ec2', blob: '{}' } },
        { credential: { user_id: me.id, project_id: project.id, type: 'ec2', blob: '[1]' } },
        { credential: { user_id: me.id, project_id: project.id, type: 'ec2', blob: '{"secret": "s"}' } },
        { credential: { user_id: me.id, project_id: project.id, type: 'ec2', blob: '{"access": 5}' } },
        { credential: { user_id: me.id, project_id: project.id, type: 'ec2', blob: { access: 'a' } } },
        { credential: { user_id: me.id, blob: 'x' } },
        { credential: { user_id: me.id, type: 'totp' } },
        { credential: { type: 'totp', blob: 'x' } },
        { credential: { user_id: 5, type: 'totp', blob: 'x' } },
        { credential: {} },
        {},
      ];
      for (const body of bad) {
        const r = await h.request('POST', '/v3/credentials', { body });
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.equal(r.body.error.code, 400);
      }
      const c = await create({ user_id: me.id, project_id: project.id, type: 'ec2', blob: ec2Blob() });
      for (const credential of [
        {},
        { id: 'other' },
        { blob: 'not json' },
        { blob: '{"secret": "x"}' },
        { blob: 7 },
        { blob: JSON.stringify({ access: 'a', trust_id: 't' }) },
      ]) {
        const r = await h.request('PATCH', `/v3/credentials/${c.id}`, { body: { credential } });
        assert.equal(r.status, 400, `${JSON.stringify(credential)}: ${r.text}`);
      }
    });

    it('stores blobs encrypted with the credential keys', async () => {
      const secret = uniq('plaintext-secret');
      const c = await create({ user_id: me.id, project_id: project.id, type: 'ec2', blob: ec2Blob(uniq('access'), secret) });
      const row = await h.server.database.db.selectFrom('credentials').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
      assert.ok(!row.blob.includes(secret), 'no plaintext at rest');
      assert.match(row.blob, /^gAAAAA/, 'a Fernet token');
      const dir = join(h.config.dataDir, 'credential-keys');
      assert.ok(existsSync(dir));
      assert.deepEqual(readdirSync(dir).sort(), ['0', '1']);
      assert.equal(JSON.parse((await h.request('GET', `/v3/credentials/${c.id}`)).body.credential.blob).secret, secret);
    });

    it('goes away with its user and its project', async () => {
      const user = await createUser();
      const p = await createProject();
      const byUser = await create({ user_id: user.id, type: 'totp', blob: 'x' });
      const byProject = await create({ user_id: me.id, project_id: p.id, type: 'ec2', blob: ec2Blob() });
      assert.equal((await h.request('DELETE', `/v3/users/${user.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/credentials/${byUser.id}`)).status, 404);
      assert.equal((await h.request('DELETE', `/v3/projects/${p.id}`)).status, 204);
      assert.equal((await h.request('GET', `/v3/credentials/${byProject.id}`)).status, 404);
    });

    it('lets a member manage its own credentials only', async () => {
      const t = { token: myToken };
      const own = await create({ user_id: me.id, project_id: project.id, type: 'ec2', blob: ec2Blob() }, myToken);
      const theirs = await create({ user_id: other.id, type: 'totp', blob: 'their-seed' });
      const adminCred = await create({ user_id: h.adminUserId, type: 'totp', blob: 'admin-seed' });

      const list = await h.request('GET', '/v3/credentials', t);
      assert.equal(list.status, 200, list.text);
      assert.ok(list.body.credentials.length > 0);
      assert.ok(
        list.body.credentials.every((x: any) => x.user_id === me.id),
        'only its own',
      );
      assert.ok(list.body.credentials.some((x: any) => x.id === own.id));
      const filtered = await h.request('GET', `/v3/credentials?user_id=${other.id}`, t);
      assert.deepEqual(filtered.body.credentials, []);

      assert.equal((await h.request('GET', `/v3/credentials/${own.id}`, t)).status, 200);
      const u = await h.request('PATCH', `/v3/credentials/${own.id}`, { ...t, body: { credential: { label: 'mine' } } });
      assert.equal(u.status, 200, u.text);

      const denied: [string, string, unknown][] = [
        ['POST', '/v3/credentials', { credential: { user_id: other.id, type: 'totp', blob: 'x' } }],
        ['GET', `/v3/credentials/${theirs.id}`, undefined],
        ['GET', `/v3/credentials/${adminCred.id}`, undefined],
        ['PATCH', `/v3/credentials/${theirs.id}`, { credential: { blob: 'mine now' } }],
        ['PATCH', `/v3/credentials/${own.id}`, { credential: { user_id: other.id } }],
        ['DELETE', `/v3/credentials/${theirs.id}`, undefined],
        ['GET', '/v3/credentials/does-not-exist', undefined],
      ];
      for (const [method, path, body] of denied) {
        const r = await h.request(method, path, { ...t, body });
        assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
        assert.equal(r.body.error.code, 403);
      }
      assert.equal((await h.request('GET', `/v3/credentials/${theirs.id}`)).body.credential.blob, 'their-seed', 'unchanged');
      assert.equal((await h.request('DELETE', `/v3/credentials/${own.id}`, t)).status, 204);
    });

    it('binds ec2 credentials created with an application credential to it', async () => {
      const ac = await h.request('POST', `/v3/users/${me.id}/application_credentials`, {
        token: myToken,
        body: { application_credential: { name: uniq('ac'), secret: 'ac-secret' } },
      });
      assert.equal(ac.status, 201, ac.text);
      const auth = await h.request('POST', '/v3/auth/tokens', {
        token: null,
        body: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { id: ac.body.application_credential.id, secret: 'ac-secret' },
            },
          },
        },
      });
      const acToken = auth.headers.get('x-subject-token') as string;
      const c = await create({ user_id: me.id, project_id: project.id, type: 'ec2', blob: ec2Blob() }, acToken);
      assert.equal(JSON.parse(c.blob).app_cred_id, ac.body.application_credential.id);
    });
  });

  describe('/v3/users/{user_id}/credentials/OS-EC2', () => {
    const ec2 = (userId: string): string => `/v3/users/${userId}/credentials/OS-EC2`;

    it("creates, lists, shows and deletes a user's ec2 credentials, as openstack ec2 credentials does", async () => {
      const t = { token: myToken };
      const c = await h.request('POST', ec2(me.id), { ...t, body: { tenant_id: project.id } });
      assert.equal(c.status, 201, c.text);
      const cred = c.body.credential;
      assert.match(cred.access, /^[0-9a-f]{32}$/);
      assert.match(cred.secret, /^[0-9a-f]{32}$/);
      assert.equal(cred.user_id, me.id);
      assert.equal(cred.tenant_id, project.id);
      assert.equal(cred.trust_id, null);
      assert.match(cred.links.self, new RegExp(`/v3/users/${me.id}/credentials/OS-EC2/${cred.access}$`));

      const second = (await h.request('POST', ec2(me.id), { ...t, body: { tenant_id: project.id } })).body.credential;
      const list = await h.request('GET', ec2(me.id), t);
      assert.equal(list.status, 200);
      const accesses = list.body.credentials.map((x: any) => x.access);
      assert.ok(accesses.includes(cred.access) && accesses.includes(second.access));

      const g = await h.request('GET', `${ec2(me.id)}/${cred.access}`, t);
      assert.equal(g.status, 200, g.text);
      assert.deepEqual(g.body.credential, cred);

      // The same credential through /v3/credentials.
      const v3 = await h.request('GET', `/v3/credentials/${sha256(cred.access)}`, t);
      assert.equal(v3.status, 200);
      assert.equal(v3.body.credential.type, 'ec2');
      assert.equal(JSON.parse(v3.body.credential.blob).secret, cred.secret);

      assert.equal((await h.request('DELETE', `${ec2(me.id)}/${cred.access}`, t)).status, 204);
      assert.equal((await h.request('GET', `${ec2(me.id)}/${cred.access}`, t)).status, 404);
      assert.equal((await h.request('DELETE', `${ec2(me.id)}/${cred.access}`, t)).status, 404);
    });

    it('answers 400 and 404 for bad input and unknown things', async () => {
      assert.equal((await h.request('POST', ec2(me.id), { body: {} })).status, 400);
      assert.equal((await h.request('POST', ec2(me.id), { body: { tenant_id: 5 } })).status, 400);
      assert.equal((await h.request('POST', ec2(me.id), { body: { tenant_id: 'no-such-project' } })).status, 404);
      assert.equal((await h.request('POST', ec2('no-such-user'), { body: { tenant_id: project.id } })).status, 404);
      assert.equal((await h.request('GET', ec2('no-such-user'))).status, 404);
      assert.equal((await h.request('GET', `${ec2(me.id)}/no-such-access`)).status, 404);
      const theirs = (await h.request('POST', ec2(other.id), { body: { tenant_id: project.id } })).body.credential;
      assert.equal((await h.request('GET', `${ec2(me.id)}/${theirs.access}`)).status, 404, 'under the wrong user');
      const totp = await create({ user_id: me.id, type: 'totp', blob: 'x' });
      assert.ok(!(await h.request('GET', ec2(me.id))).body.credentials.some((x: any) => x.access === totp.id), 'only ec2 credentials');
    });

    it('keeps members to their own ec2 credentials', async () => {
      const t = { token: myToken };
      const theirs = (await h.request('POST', ec2(other.id), { body: { tenant_id: project.id } })).body.credential;
      const denied: [string, string, unknown][] = [
        ['POST', ec2(other.id), { tenant_id: project.id }],
        ['GET', ec2(other.id), undefined],
        ['GET', `${ec2(other.id)}/${theirs.access}`, undefined],
        ['DELETE', `${ec2(other.id)}/${theirs.access}`, undefined],
        ['GET', `${ec2(me.id)}/${theirs.access}`, undefined],
        ['DELETE', `${ec2(me.id)}/${theirs.access}`, undefined],
      ];
      for (const [method, path, body] of denied) {
        const r = await h.request(method, path, { ...t, body });
        assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      }
      assert.equal((await h.request('GET', `${ec2(other.id)}/${theirs.access}`)).status, 200, 'still there');
    });
  });
});
