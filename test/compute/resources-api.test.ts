/** Flavors, key pairs, quotas, limits, server groups and versions over HTTP, per microversion and role, against Tempest's response shapes. */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startCloudHarness, type CloudHarness, type CloudProject, type CloudResponse } from '../support/compute-harness.js';
import { assertShape, FLAVOR_KEYS, LIMIT_KEYS, QUOTA_KEYS } from './resources-shapes.js';

let h: CloudHarness;
let alice: CloudProject;
let bob: CloudProject;

const nova = (r: CloudResponse, status: number, name: string) => {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body?.[name]?.code, status, r.text);
  assert.equal(typeof r.body[name].message, 'string');
};

before(async () => {
  h = await startCloudHarness({ agent: false });
  alice = await h.project('alice');
  bob = await h.project('bob');
});
after(() => h?.close());

describe('versions', () => {
  it('serves the version list (v2.0 first, as Nova) and each version document without a token', async () => {
    const root = await fetch(h.urls.compute!.replace(/\/v2\.1$/, '/'));
    assert.equal(root.status, 200);
    const list = (await root.json()) as { versions: { id: string; version: string; links: { rel: string; href: string }[] }[] };
    assert.deepEqual(
      list.versions.map((v) => v.id),
      ['v2.0', 'v2.1'],
    );
    assert.equal(list.versions[1]?.version, '2.93');
    for (const v of list.versions) {
      const self = v.links.find((l) => l.rel === 'self')!;
      const doc = await fetch(self.href);
      assert.equal(doc.status, 200, self.href);
      const body = (await doc.json()) as { version: { id: string; links: { rel: string; href: string }[] } };
      assert.equal(body.version.id, v.id);
      assert.deepEqual(
        body.version.links.filter((l) => l.rel === 'self'),
        [self],
      );
    }
    const one = await h.request('compute', 'GET', '/', { token: null });
    assert.equal(one.status, 200);
    assertShape(one.body.version, ['id', 'links', 'status', 'updated', 'media-types', 'version', 'min_version'], []);
    assert.equal(one.body.version.min_version, '2.1');
  });
});

describe('flavors', () => {
  it('lets admins create flavors and shows them per microversion', async () => {
    const c = await h.request('compute', 'POST', '/flavors', {
      body: { flavor: { name: 'm1.test', id: '0', ram: 64, vcpus: 1, disk: 1 } },
    });
    assert.equal(c.status, 200, c.text);
    assertShape(c.body.flavor, FLAVOR_KEYS, []);
    assert.equal(c.body.flavor.swap, '');
    assert.equal(c.body.flavor.id, '0');
    const v75 = await h.request('compute', 'GET', '/flavors/0', { microversion: '2.75' });
    assert.equal(v75.body.flavor.swap, 0);
    assertShape(v75.body.flavor, [...FLAVOR_KEYS, 'description', 'extra_specs'], []);
    const v55 = await h.request('compute', 'GET', '/flavors/0', { microversion: '2.55' });
    assertShape(v55.body.flavor, [...FLAVOR_KEYS, 'description'], []);
    const idx = await h.request('compute', 'GET', '/flavors', { token: alice.token });
    assert.ok(idx.body.flavors.some((f: { id: string }) => f.id === '0'));
    for (const f of idx.body.flavors) assertShape(f, ['id', 'name', 'links'], []);
    const gen = await h.request('compute', 'POST', '/flavors', {
      microversion: '2.55',
      body: {
        flavor: {
          name: 'm1.gen',
          ram: '128',
          vcpus: 2,
          disk: 0,
          swap: 16,
          description: 'generated id',
          'os-flavor-access:is_public': 'false',
        },
      },
    });
    assert.equal(gen.status, 200, gen.text);
    assert.match(gen.body.flavor.id, /^[0-9a-f-]{36}$/);
    assert.equal(gen.body.flavor.swap, 16);
    assert.equal(gen.body.flavor.description, 'generated id');
    assert.equal(gen.body.flavor['os-flavor-access:is_public'], false);
  });

  it('refuses members, duplicates and bad input with Nova faults', async () => {
    nova(
      await h.request('compute', 'POST', '/flavors', { token: alice.token, body: { flavor: { name: 'x', ram: 64, vcpus: 1, disk: 1 } } }),
      403,
      'forbidden',
    );
    nova(
      await h.request('compute', 'POST', '/flavors', { body: { flavor: { name: 'dup', id: '0', ram: 64, vcpus: 1, disk: 1 } } }),
      409,
      'conflictingRequest',
    );
    nova(
      await h.request('compute', 'POST', '/flavors', { body: { flavor: { name: 'm1.test', ram: 64, vcpus: 1, disk: 1 } } }),
      409,
      'conflictingRequest',
    );
    for (const bad of [
      { name: 'x', ram: 0, vcpus: 1, disk: 1 },
      { name: 'x', ram: 64, vcpus: -1, disk: 1 },
      { name: ' x', ram: 64, vcpus: 1, disk: 1 },
      { name: 'x', ram: 64, vcpus: 1, disk: 1, id: 'a/b' },
      { name: 'x', ram: 64, vcpus: 1 },
      { name: 'x', ram: 64, vcpus: 1, disk: 1, rxtx_factor: 0 },
      { name: 'x', ram: 64, vcpus: 1, disk: 1, description: 'no description before 2.55' },
    ]) {
      nova(await h.request('compute', 'POST', '/flavors', { body: { flavor: bad } }), 400, 'badRequest');
    }
    nova(await h.request('compute', 'PUT', '/flavors/0', { body: { flavor: { description: 'd' } } }), 404, 'itemNotFound');
    nova(await h.request('compute', 'GET', '/flavors?sort_key=nope'), 400, 'badRequest');
    nova(await h.request('compute', 'GET', '/flavors?limit=-1'), 400, 'badRequest');
    nova(await h.request('compute', 'GET', '/flavors?marker=missing'), 400, 'badRequest');
    nova(await h.request('compute', 'GET', '/flavors/missing'), 404, 'itemNotFound');
  });

  it('filters by is_public and pages with a next link', async () => {
    const priv = await h.request('compute', 'POST', '/flavors', {
      body: { flavor: { name: 'private-1', id: 'priv-1', ram: 256, vcpus: 1, disk: 5, 'os-flavor-access:is_public': false } },
    });
    assert.equal(priv.status, 200);
    const ids = async (q: string, token?: string) =>
      ((await h.request('compute', 'GET', `/flavors${q}`, { token })).body.flavors as { id: string }[]).map((f) => f.id);
    assert.ok(!(await ids('')).includes('priv-1'));
    assert.ok((await ids('?is_public=None')).includes('priv-1'));
    assert.ok((await ids('?is_public=false')).includes('priv-1'));
    assert.ok(!(await ids('?is_public=None', alice.token)).includes('priv-1'));
    assert.deepEqual(await ids('?is_public=None&minRam=256&minDisk=5'), ['priv-1']);
    const page = await h.request('compute', 'GET', '/flavors/detail?is_public=None&limit=1&sort_key=name&sort_dir=asc');
    assert.equal(page.body.flavors.length, 1);
    assert.match(page.body.flavors_links[0].href, /marker=/);
    nova(await h.request('compute', 'GET', '/flavors/priv-1', { token: alice.token }), 404, 'itemNotFound');

    nova(await h.request('compute', 'GET', '/flavors/0/os-flavor-access'), 404, 'itemNotFound');
    nova(
      await h.request('compute', 'POST', '/flavors/0/action', { body: { addTenantAccess: { tenant: alice.projectId } } }),
      409,
      'conflictingRequest',
    );
    const add = await h.request('compute', 'POST', '/flavors/priv-1/action', { body: { addTenantAccess: { tenant: alice.projectId } } });
    assert.deepEqual(add.body, { flavor_access: [{ flavor_id: 'priv-1', tenant_id: alice.projectId }] });
    nova(
      await h.request('compute', 'POST', '/flavors/priv-1/action', { body: { addTenantAccess: { tenant: alice.projectId } } }),
      409,
      'conflictingRequest',
    );
    assert.ok((await ids('', alice.token)).includes('priv-1'));
    nova(await h.request('compute', 'GET', '/flavors/priv-1/os-flavor-access', { token: alice.token }), 403, 'forbidden');
    const rm = await h.request('compute', 'POST', '/flavors/priv-1/action', { body: { removeTenantAccess: { tenant: alice.projectId } } });
    assert.deepEqual(rm.body, { flavor_access: [] });
    nova(
      await h.request('compute', 'POST', '/flavors/priv-1/action', { body: { removeTenantAccess: { tenant: alice.projectId } } }),
      404,
      'itemNotFound',
    );
    nova(await h.request('compute', 'POST', '/flavors/priv-1/action', { body: { bogus: {} } }), 400, 'badRequest');
  });

  it('manages extra specs and the 2.55 description', async () => {
    const set = await h.request('compute', 'POST', '/flavors/0/os-extra_specs', {
      body: { extra_specs: { 'hw:cpu_policy': 'shared', 'quota:x': 1 } },
    });
    assert.deepEqual(set.body, { extra_specs: { 'hw:cpu_policy': 'shared', 'quota:x': '1' } });
    const one = await h.request('compute', 'GET', '/flavors/0/os-extra_specs/hw:cpu_policy', { token: alice.token });
    assert.deepEqual(one.body, { 'hw:cpu_policy': 'shared' });
    const put = await h.request('compute', 'PUT', '/flavors/0/os-extra_specs/quota:x', { body: { 'quota:x': '2' } });
    assert.deepEqual(put.body, { 'quota:x': '2' });
    nova(await h.request('compute', 'PUT', '/flavors/0/os-extra_specs/quota:x', { body: { other: '2' } }), 400, 'badRequest');
    nova(await h.request('compute', 'PUT', '/flavors/0/os-extra_specs/quota:x', { body: { 'quota:x': '2', b: '1' } }), 400, 'badRequest');
    nova(await h.request('compute', 'POST', '/flavors/0/os-extra_specs', { body: { extra_specs: { 'bad/key': 'v' } } }), 400, 'badRequest');
    nova(
      await h.request('compute', 'POST', '/flavors/0/os-extra_specs', { token: alice.token, body: { extra_specs: { a: 'b' } } }),
      403,
      'forbidden',
    );
    const shown = await h.request('compute', 'GET', '/flavors/0', { microversion: '2.61' });
    assert.deepEqual(shown.body.flavor.extra_specs, { 'hw:cpu_policy': 'shared', 'quota:x': '2' });
    const del = await h.request('compute', 'DELETE', '/flavors/0/os-extra_specs/quota:x');
    assert.equal(del.status, 200);
    nova(await h.request('compute', 'GET', '/flavors/0/os-extra_specs/quota:x'), 404, 'itemNotFound');
    const upd = await h.request('compute', 'PUT', '/flavors/0', {
      microversion: '2.55',
      body: { flavor: { description: 'now described' } },
    });
    assert.equal(upd.body.flavor.description, 'now described');
    nova(
      await h.request('compute', 'PUT', '/flavors/0', { microversion: '2.55', body: { flavor: { name: 'renamed' } } }),
      400,
      'badRequest',
    );
    nova(await h.request('compute', 'DELETE', '/flavors/priv-1', { token: alice.token }), 403, 'forbidden');
    assert.equal((await h.request('compute', 'DELETE', '/flavors/priv-1')).status, 202);
    nova(await h.request('compute', 'DELETE', '/flavors/priv-1'), 404, 'itemNotFound');
  });
});

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl tester@example';

describe('key pairs', () => {
  it('generates and imports key pairs, shaped per microversion', async () => {
    const gen = await h.request('compute', 'POST', '/os-keypairs', { token: alice.token, body: { keypair: { name: 'gen' } } });
    assert.equal(gen.status, 200, gen.text);
    assertShape(gen.body.keypair, ['fingerprint', 'name', 'public_key', 'user_id', 'private_key'], []);
    assert.equal(gen.body.keypair.user_id, alice.userId);
    const imp = await h.request('compute', 'POST', '/os-keypairs', {
      token: alice.token,
      microversion: '2.2',
      body: { keypair: { name: 'ed', public_key: ED25519, type: 'ssh' } },
    });
    assert.equal(imp.status, 201, imp.text);
    assertShape(imp.body.keypair, ['fingerprint', 'name', 'public_key', 'user_id', 'type'], []);
    // `ssh-keygen -l -E md5` of the same key.
    assert.equal(imp.body.keypair.fingerprint, '65:96:2d:fc:e8:d5:a9:11:64:0c:0f:ea:00:6e:5b:bd');
    const list = await h.request('compute', 'GET', '/os-keypairs', { token: alice.token });
    assert.deepEqual(
      list.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name),
      ['ed', 'gen'],
    );
    for (const k of list.body.keypairs) assertShape(k.keypair, ['public_key', 'name', 'fingerprint'], []);
    const page = await h.request('compute', 'GET', '/os-keypairs?limit=1', { token: alice.token, microversion: '2.35' });
    assert.equal(page.body.keypairs.length, 1);
    assert.match(page.body.keypairs_links[0].href, /marker=ed/);
    const show = await h.request('compute', 'GET', '/os-keypairs/gen', { token: alice.token });
    assertShape(
      show.body.keypair,
      ['public_key', 'name', 'fingerprint', 'user_id', 'deleted', 'created_at', 'updated_at', 'deleted_at', 'id'],
      [],
    );
  });

  it('keeps key pairs private to their user and validates names and keys', async () => {
    nova(await h.request('compute', 'GET', '/os-keypairs/gen', { token: bob.token }), 404, 'itemNotFound');
    assert.deepEqual((await h.request('compute', 'GET', '/os-keypairs', { token: bob.token })).body, { keypairs: [] });
    nova(
      await h.request('compute', 'GET', `/os-keypairs/gen?user_id=${alice.userId}`, { token: bob.token, microversion: '2.10' }),
      403,
      'forbidden',
    );
    const asAdmin = await h.request('compute', 'GET', `/os-keypairs/gen?user_id=${alice.userId}`, { microversion: '2.10' });
    assert.equal(asAdmin.status, 200);
    nova(
      await h.request('compute', 'POST', '/os-keypairs', { token: alice.token, body: { keypair: { name: 'gen' } } }),
      409,
      'conflictingRequest',
    );
    nova(await h.request('compute', 'POST', '/os-keypairs', { token: alice.token, body: { keypair: { name: 'a@b' } } }), 400, 'badRequest');
    const at292 = await h.request('compute', 'POST', '/os-keypairs', {
      token: alice.token,
      microversion: '2.92',
      body: { keypair: { name: 'a@b.c', public_key: ED25519 } },
    });
    assert.equal(at292.status, 201, at292.text);
    nova(
      await h.request('compute', 'POST', '/os-keypairs', {
        token: alice.token,
        microversion: '2.92',
        body: { keypair: { name: 'nokey' } },
      }),
      400,
      'badRequest',
    );
    nova(
      await h.request('compute', 'POST', '/os-keypairs', {
        token: alice.token,
        body: { keypair: { name: 'junk', public_key: 'ssh-rsa xyz' } },
      }),
      400,
      'badRequest',
    );
    nova(
      await h.request('compute', 'POST', '/os-keypairs', { token: alice.token, body: { keypair: { name: 'x', type: 'ssh' } } }),
      400,
      'badRequest',
    );
    const x509 = await h.request('compute', 'POST', '/os-keypairs', {
      token: alice.token,
      microversion: '2.2',
      body: { keypair: { name: 'cert', type: 'x509' } },
    });
    assert.equal(x509.status, 201, x509.text);
    const cert = new X509Certificate(x509.body.keypair.public_key);
    assert.ok(cert.verify(createPublicKey(createPrivateKey(x509.body.keypair.private_key))));
    assert.equal(x509.body.keypair.fingerprint, cert.fingerprint.toLowerCase());
    const reimported = await h.request('compute', 'POST', '/os-keypairs', {
      token: bob.token,
      microversion: '2.2',
      body: { keypair: { name: 'cert', type: 'x509', public_key: x509.body.keypair.public_key } },
    });
    assert.equal(reimported.status, 201, reimported.text);
    assert.equal(reimported.body.keypair.fingerprint, x509.body.keypair.fingerprint);
    nova(
      await h.request('compute', 'POST', '/os-keypairs', {
        token: bob.token,
        microversion: '2.2',
        body: { keypair: { name: 'c2', type: 'x509', public_key: ED25519 } },
      }),
      400,
      'badRequest',
    );
    assert.equal((await h.request('compute', 'DELETE', '/os-keypairs/gen', { token: alice.token })).status, 202);
    assert.equal((await h.request('compute', 'DELETE', '/os-keypairs/ed', { token: alice.token, microversion: '2.2' })).status, 204);
    nova(await h.request('compute', 'DELETE', '/os-keypairs/ed', { token: alice.token }), 404, 'itemNotFound');
  });
});

describe('quotas and limits', () => {
  it('shows quota sets with the fields of each microversion', async () => {
    const show = await h.request('compute', 'GET', `/os-quota-sets/${alice.projectId}`, { token: alice.token });
    assert.equal(show.status, 200, show.text);
    assertShape(show.body.quota_set, ['id', ...QUOTA_KEYS], []);
    const v236 = await h.request('compute', 'GET', `/os-quota-sets/${alice.projectId}`, { token: alice.token, microversion: '2.36' });
    assert.ok(!('floating_ips' in v236.body.quota_set) && 'injected_files' in v236.body.quota_set);
    const v257 = await h.request('compute', 'GET', `/os-quota-sets/${alice.projectId}/detail`, {
      token: alice.token,
      microversion: '2.57',
    });
    assert.deepEqual(Object.keys(v257.body.quota_set).sort(), [
      'cores',
      'id',
      'instances',
      'key_pairs',
      'metadata_items',
      'ram',
      'server_group_members',
      'server_groups',
    ]);
    assert.deepEqual(v257.body.quota_set.instances, { limit: 10, in_use: 0, reserved: 0 });
    const defaults = await h.request('compute', 'GET', `/os-quota-sets/${alice.projectId}/defaults`, { token: alice.token });
    assertShape(defaults.body.quota_set, ['id', ...QUOTA_KEYS], []);
    nova(await h.request('compute', 'GET', `/os-quota-sets/${alice.projectId}`, { token: bob.token }), 403, 'forbidden');
  });

  it('lets admins update, force and delete quotas', async () => {
    nova(
      await h.request('compute', 'PUT', `/os-quota-sets/${alice.projectId}`, {
        token: alice.token,
        body: { quota_set: { instances: 50 } },
      }),
      403,
      'forbidden',
    );
    const upd = await h.request('compute', 'PUT', `/os-quota-sets/${alice.projectId}`, {
      body: { quota_set: { instances: 3, cores: '7', force: true } },
    });
    assert.equal(upd.status, 200, upd.text);
    assertShape(upd.body.quota_set, QUOTA_KEYS, []);
    assert.equal(upd.body.quota_set.instances, 3);
    assert.equal(upd.body.quota_set.cores, 7);
    nova(
      await h.request('compute', 'PUT', `/os-quota-sets/${alice.projectId}`, { body: { quota_set: { instances: -2 } } }),
      400,
      'badRequest',
    );
    nova(await h.request('compute', 'PUT', `/os-quota-sets/${alice.projectId}`, { body: { quota_set: { bogus: 1 } } }), 400, 'badRequest');
    nova(
      await h.request('compute', 'PUT', `/os-quota-sets/${alice.projectId}`, {
        microversion: '2.57',
        body: { quota_set: { injected_files: 1 } },
      }),
      400,
      'badRequest',
    );
    const limits = await h.request('compute', 'GET', '/limits', { token: alice.token });
    assertShape(limits.body.limits, ['absolute', 'rate'], []);
    assertShape(limits.body.limits.absolute, LIMIT_KEYS, ['maxServerGroupMembers', 'maxServerGroups', 'totalServerGroupsUsed']);
    assert.equal(limits.body.limits.absolute.maxTotalInstances, 3);
    const other = await h.request('compute', 'GET', `/limits?tenant_id=${alice.projectId}`);
    assert.equal(other.body.limits.absolute.maxTotalCores, 7);
    const ignored = await h.request('compute', 'GET', `/limits?tenant_id=${alice.projectId}`, { token: bob.token });
    assert.equal(ignored.body.limits.absolute.maxTotalCores, 20);
    const v257 = await h.request('compute', 'GET', '/limits', { token: alice.token, microversion: '2.57' });
    for (const gone of ['maxPersonality', 'maxImageMeta', 'maxSecurityGroups', 'totalFloatingIpsUsed'])
      assert.ok(!(gone in v257.body.limits.absolute), gone);
    assert.equal((await h.request('compute', 'DELETE', `/os-quota-sets/${alice.projectId}`)).status, 202);
    const back = await h.request('compute', 'GET', `/os-quota-sets/${alice.projectId}`);
    assert.equal(back.body.quota_set.instances, 10);
    const cls = await h.request('compute', 'PUT', '/os-quota-class-sets/default', { body: { quota_class_set: { key_pairs: 99 } } });
    assert.equal(cls.body.quota_class_set.key_pairs, 99);
    assert.equal((await h.request('compute', 'GET', `/os-quota-sets/${bob.projectId}/defaults`)).body.quota_set.key_pairs, 99);
    nova(
      await h.request('compute', 'PUT', '/os-quota-class-sets/default', {
        token: alice.token,
        body: { quota_class_set: { key_pairs: 1 } },
      }),
      403,
      'forbidden',
    );
  });
});

describe('server groups', () => {
  it('creates groups per microversion and scopes them to the project', async () => {
    const old = await h.request('compute', 'POST', '/os-server-groups', {
      token: alice.token,
      body: { server_group: { name: 'g1', policies: ['affinity'] } },
    });
    assert.equal(old.status, 200, old.text);
    assertShape(old.body.server_group, ['id', 'name', 'policies', 'members', 'metadata'], []);
    const v213 = await h.request('compute', 'GET', `/os-server-groups/${old.body.server_group.id}`, {
      token: alice.token,
      microversion: '2.13',
    });
    assertShape(v213.body.server_group, ['id', 'name', 'policies', 'members', 'metadata', 'project_id', 'user_id'], []);
    const v264 = await h.request('compute', 'POST', '/os-server-groups', {
      token: alice.token,
      microversion: '2.64',
      body: { server_group: { name: 'g2', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
    });
    assert.equal(v264.status, 200, v264.text);
    assertShape(v264.body.server_group, ['id', 'name', 'policy', 'rules', 'members', 'project_id', 'user_id'], []);
    assert.deepEqual(v264.body.server_group.rules, { max_server_per_host: 2 });
    nova(
      await h.request('compute', 'POST', '/os-server-groups', {
        token: alice.token,
        body: { server_group: { name: 'g', policies: ['soft-affinity'] } },
      }),
      400,
      'badRequest',
    );
    const soft = await h.request('compute', 'POST', '/os-server-groups', {
      token: alice.token,
      microversion: '2.15',
      body: { server_group: { name: 'g3', policies: ['soft-affinity'] } },
    });
    assert.equal(soft.status, 200, soft.text);
    nova(
      await h.request('compute', 'POST', '/os-server-groups', {
        token: alice.token,
        microversion: '2.64',
        body: { server_group: { name: 'g', policy: 'affinity', rules: { max_server_per_host: 1 } } },
      }),
      400,
      'badRequest',
    );
    nova(await h.request('compute', 'GET', `/os-server-groups/${old.body.server_group.id}`, { token: bob.token }), 404, 'itemNotFound');
    nova(await h.request('compute', 'DELETE', `/os-server-groups/${old.body.server_group.id}`, { token: bob.token }), 404, 'itemNotFound');
    assert.equal(
      (await h.request('compute', 'GET', '/os-server-groups?all_projects=true', { token: bob.token })).body.server_groups.length,
      0,
    );
    const all = await h.request('compute', 'GET', '/os-server-groups?all_projects=true');
    assert.equal(all.body.server_groups.length, 3);
    const paged = await h.request('compute', 'GET', '/os-server-groups?limit=1&offset=1', { token: alice.token });
    assert.equal(paged.body.server_groups.length, 1);
    assert.equal(paged.body.server_groups[0].id, v264.body.server_group.id);
    const limits = await h.request('compute', 'GET', '/limits', { token: alice.token });
    assert.equal(limits.body.limits.absolute.totalServerGroupsUsed, 3);
    assert.equal(
      (await h.request('compute', 'DELETE', `/os-server-groups/${old.body.server_group.id}`, { token: alice.token })).status,
      204,
    );
  });
});
