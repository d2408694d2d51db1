import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IMAGE_ID, QUEUED_IMAGE_ID, startServersHarness, type ServersHarness } from './servers-fixtures.js';

const create = (over: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1', ...over },
  ...extra,
});

describe('servers API (fake agent, fake placement)', () => {
  let h: ServersHarness;
  before(async () => {
    h = await startServersHarness();
  });
  after(async () => {
    await h?.close();
  });

  async function boot(over: Record<string, unknown> = {}, token = 'alice'): Promise<string> {
    const r = await h.call('POST', '/servers', { token, body: create(over) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await h.waitFor(r.body.server.id, (s) => s.status === 'ACTIVE');
    return r.body.server.id as string;
  }

  it('creates a server: 202 with Nova create body, then BUILD → ACTIVE on the fake agent', async () => {
    const r = await h.call('POST', '/servers', { body: create({ metadata: { a: 'b' } }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.server).sort(), ['OS-DCF:diskConfig', 'adminPass', 'id', 'links', 'security_groups']);
    assert.equal(r.body.server.adminPass.length, 12);
    assert.deepEqual(r.body.server.security_groups, [{ name: 'default' }]);
    const id = r.body.server.id;
    const s = await h.waitFor(id, (x) => x.status === 'ACTIVE', 'alice');
    assert.equal(s['OS-EXT-STS:vm_state'], 'active');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(s.progress, 100);
    assert.deepEqual(s.metadata, { a: 'b' });
    assert.match(s.hostId, /^[0-9a-f]{56}$/);
    assert.deepEqual(s.image.id, IMAGE_ID);
    assert.equal(s.flavor.id, '1');
    assert.match(s.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(s['OS-SRV-USG:launched_at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    // Non-admins see no OS-EXT-SRV-ATTR fields.
    assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined);
    const admin = await h.call('GET', `/servers/${id}`, { token: 'admin' });
    assert.equal(admin.body.server['OS-EXT-SRV-ATTR:host'], 'host-1');
    assert.equal(admin.body.server['OS-EXT-SRV-ATTR:instance_name'].startsWith('instance-'), true);
    assert.equal(h.placement.allocations.get(id)?.rp, 'rp-1');
    const actions = await h.call('GET', `/servers/${id}/os-instance-actions`);
    assert.equal(actions.status, 200);
    assert.deepEqual(
      actions.body.instanceActions.map((a: { action: string }) => a.action),
      ['create'],
    );
    const reqId = actions.body.instanceActions[0].request_id;
    const detail = await h.call('GET', `/servers/${id}/os-instance-actions/${reqId}`, { token: 'admin' });
    const events = detail.body.instanceAction.events.map((e: { event: string; result: string }) => `${e.event}:${e.result}`).sort();
    assert.deepEqual(events, ['compute_build_and_run_instance:Success', 'conductor_schedule_and_build_instances:Success']);
  });

  it('shows microversion fields (2.9 locked, 2.19 description, 2.26 tags, 2.47 flavor, 2.73, 2.90)', async () => {
    const id = await boot({ description: 'd' } as never).catch(() => '');
    assert.equal(id, '', 'description is not accepted at 2.1');
    const r = await h.call('POST', '/servers', {
      mv: '2.90',
      body: create({ description: 'desc', hostname: 'my-host', tags: ['t1'], networks: 'auto' }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await h.waitFor(r.body.server.id, (x) => x.status === 'ACTIVE');
    const v = await h.call('GET', `/servers/${r.body.server.id}`, { mv: '2.93' });
    const sv = v.body.server;
    assert.equal(s.locked, undefined);
    assert.equal(sv.locked, false);
    assert.equal(sv.locked_reason, null);
    assert.equal(sv.description, 'desc');
    assert.deepEqual(sv.tags, ['t1']);
    assert.deepEqual(sv.flavor, { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'f-1', extra_specs: {} });
    assert.equal(sv.trusted_image_certificates, null);
    assert.equal(sv['OS-EXT-SRV-ATTR:hostname'], 'my-host');
    assert.deepEqual(sv.server_groups, []);
    const adm = await h.call('GET', `/servers/${r.body.server.id}`, { mv: '2.16', token: 'admin' });
    assert.equal(adm.body.server.host_status, 'UP');
  });

  it('validates create input like Nova (400, never 500)', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /server/],
      [create({ name: '' }), /name/],
      [create({ name: ' lead' }), /name/],
      [create({ name: 'x'.repeat(256) }), /name/],
      [create({ flavorRef: 'nope' }), /Flavor nope could not be found/],
      [create({ imageRef: 'not-a-uuid' }), /imageRef/],
      [create({ imageRef: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }), /Image aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee could not be found/],
      [create({ imageRef: QUEUED_IMAGE_ID }), /is not active/],
      [create({ key_name: 'missing' }), /Invalid key_name provided/],
      [create({ user_data: '!!!notbase64' }), /base 64/],
      [create({ networks: [{ uuid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }] }), /Network .* could not be found/],
      [create({ availability_zone: 'nowhere' }), /availability zone/],
      [create({ min_count: 0 }), /min_count/],
      [create({ bogus: 1 }), /bogus/],
      [create({ imageRef: '' }), /Block Device Mapping is Invalid/],
      [create({ metadata: { k: 5 } }), /metadata/],
      [create({ metadata: { k: 'v'.repeat(256) } }), /metadata/],
      [create({ personality: [{ path: '/etc/x', contents: '*notbase64*' }] }), /personality/],
      [create({ name: 12345 }), /name/],
      [create({ security_groups: [{ name: 'nope' }] }), /Security group nope not found/],
      [create({ accessIPv4: '300.1.1.1' }), /accessIPv4/],
      [create({ config_drive: 'maybe' }), /config_drive/],
      [create({ flavorRef: '1', max_count: 2, hostname: 'h' }, {}), /hostname/],
    ];
    for (const [body, re] of cases) {
      const r = await h.call('POST', '/servers', { body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(r.body.badRequest.message, re);
    }
    const forced = create({ availability_zone: 'nova:no-such-host' });
    assert.equal((await h.call('POST', '/servers', { body: forced })).status, 403);
    const noHost = await h.call('POST', '/servers', { body: forced, token: 'admin' });
    assert.equal(noHost.status, 400);
    assert.match(noHost.body.badRequest.message, /Compute host no-such-host could not be found/);
    const onHost = await h.call('POST', '/servers', { body: create({ availability_zone: 'nova:host-1' }), token: 'admin' });
    assert.equal(onHost.status, 202);
    const v274 = await h.call('POST', '/servers', { body: create({ host: 'host-1', networks: 'none' }), token: 'admin', mv: '2.74' });
    assert.equal(v274.status, 202, JSON.stringify(v274.body));
    await h.waitFor(v274.body.server.id, (s) => s.status === 'ACTIVE');
    const noNets = await h.call('POST', '/servers', { body: create(), mv: '2.37' });
    assert.equal(noNets.status, 400);
    assert.match(noNets.body.badRequest.message, /networks/);
    const nojson = await h.call('POST', '/servers', { body: 'x' });
    assert.equal(nojson.status, 400);
  });

  it('boots from an image BDM (source image → local, boot_index 0)', async () => {
    const r = await h.call('POST', '/servers', {
      body: create({
        imageRef: '',
        block_device_mapping_v2: [{ source_type: 'image', destination_type: 'local', uuid: IMAGE_ID, boot_index: 0 }],
      }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await h.waitFor(r.body.server.id, (s) => s.status === 'ACTIVE');
  });

  it('creates several with min/max_count and return_reservation_id', async () => {
    const r = await h.call('POST', '/servers', {
      token: 'bob',
      body: create({ name: 'multi', min_count: 2, max_count: 2, return_reservation_id: true }),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.match(r.body.reservation_id, /^r-/);
    const list = await h.call('GET', `/servers/detail?reservation_id=${r.body.reservation_id}`, { token: 'bob' });
    assert.deepEqual(list.body.servers.map((s: { name: string }) => s.name).sort(), ['multi-1', 'multi-2']);
  });

  it('refuses past the instance quota with 403', async () => {
    h.resources.instanceLimit = 0;
    try {
      const r = await h.call('POST', '/servers', { body: create() });
      assert.equal(r.status, 403);
      assert.match(r.body.forbidden.message, /Quota exceeded for instances/);
    } finally {
      h.resources.instanceLimit = 1000;
    }
  });

  it('puts a server that fits nowhere in ERROR with a "No valid host" fault', async () => {
    const r = await h.call('POST', '/servers', { body: create({ flavorRef: 'huge' }) });
    assert.equal(r.status, 202);
    const s = await h.waitFor(r.body.server.id, (x) => x.status === 'ERROR', 'alice');
    assert.equal(s.fault.code, 500);
    assert.match(s.fault.message, /No valid host was found/);
    assert.match(s.fault.created, /Z$/);
    const del = await h.call('DELETE', `/servers/${r.body.server.id}`);
    assert.equal(del.status, 204);
  });

  it('runs actions with Nova state checks and 409s', async () => {
    const id = await boot();
    const act = (body: unknown, token = 'alice', mv?: string) => h.call('POST', `/servers/${id}/action`, { token, body, mv });
    assert.equal((await act({ 'os-start': null })).status, 409);
    assert.equal((await act({ 'os-stop': null })).status, 202);
    await h.waitFor(id, (s) => s.status === 'SHUTOFF');
    const again = await act({ 'os-stop': null });
    assert.equal(again.status, 409);
    assert.match(again.body.conflictingRequest.message, new RegExp(`Cannot 'stop' instance ${id} while it is in vm_state stopped`));
    assert.equal((await act({ reboot: { type: 'SOFT' } })).status, 409);
    assert.equal((await act({ reboot: { type: 'HARD' } })).status, 202);
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
    assert.equal((await act({ pause: null })).status, 202);
    await h.waitFor(id, (s) => s.status === 'PAUSED');
    assert.equal((await act({ suspend: null })).status, 409);
    assert.equal((await act({ unpause: null })).status, 202);
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
    assert.equal((await act({ suspend: null })).status, 202);
    await h.waitFor(id, (s) => s.status === 'SUSPENDED');
    assert.equal((await act({ resume: null })).status, 202);
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
    assert.equal((await act({ reboot: { type: 'SOFT' } })).status, 202);
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
    // Lock: the owner's actions are refused until unlocked; admins pass.
    assert.equal((await act({ lock: { locked_reason: 'why' } }, 'alice', '2.73')).status, 202);
    const shown = await h.call('GET', `/servers/${id}`, { mv: '2.73' });
    assert.equal(shown.body.server.locked, true);
    assert.equal(shown.body.server.locked_reason, 'why');
    const locked = await act({ 'os-stop': null });
    assert.equal(locked.status, 409);
    assert.match(locked.body.conflictingRequest.message, /is locked/);
    assert.equal((await h.call('GET', '/servers/detail?locked=true', { mv: '2.73' })).body.servers.length, 1);
    assert.equal((await act({ unlock: null })).status, 202);
    // Rebuild keeps the id and answers with the server and a new adminPass.
    const rb = await act({ rebuild: { imageRef: IMAGE_ID, name: 'rebuilt' } });
    assert.equal(rb.status, 202, JSON.stringify(rb.body));
    assert.equal(rb.body.server.id, id);
    assert.equal(rb.body.server.name, 'rebuilt');
    assert.equal(typeof rb.body.server.adminPass, 'string');
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
    // Resize → VERIFY_RESIZE → confirm; resize → revert.
    assert.equal((await act({ resize: { flavorRef: '1' } })).status, 400);
    assert.equal((await act({ resize: { flavorRef: '2' } })).status, 202);
    const vr = await h.waitFor(id, (s) => s.status === 'VERIFY_RESIZE');
    assert.equal(vr.flavor.id, '2');
    assert.equal(h.placement.allocations.get(id)?.resources.MEMORY_MB, 1024);
    assert.equal((await act({ confirmResize: null })).status, 204);
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
    assert.equal((await act({ resize: { flavorRef: '1' } })).status, 400, 'disk cannot shrink');
    const noRoom = await act({ resize: { flavorRef: 'huge' } }, 'admin');
    assert.equal(noRoom.status, 400);
    assert.match(noRoom.body.badRequest.message, /No valid host/);
    // Resize then revert: back on the old flavor and the old claim.
    h.resources.flavorMap.set('3', { ...h.resources.flavorMap.get('2')!, id: '3', name: 'f-3', memoryMb: 2048 });
    assert.equal((await act({ resize: { flavorRef: '3' } })).status, 202);
    await h.waitFor(id, (s) => s.status === 'VERIFY_RESIZE');
    assert.equal((await act({ revertResize: null })).status, 202);
    const reverted = await h.waitFor(id, (s) => s.status === 'ACTIVE');
    assert.equal(reverted.flavor.id, '2');
    assert.equal(h.placement.allocations.get(id)?.resources.MEMORY_MB, 1024);
    // Snapshot: queued image created for the caller, Location before 2.45, image_id at 2.45.
    const snap = await act({ createImage: { name: 'snap', metadata: { k: 'v' } } });
    assert.equal(snap.status, 202);
    assert.match(snap.headers.get('location') ?? '', /\/v2\/images\/[0-9a-f-]{36}$/);
    await h.waitFor(id, (s) => s['OS-EXT-STS:task_state'] === null);
    const snap2 = await act({ createImage: { name: 'snap2' } }, 'alice', '2.45');
    assert.match(snap2.body.image_id, /^[0-9a-f-]{36}$/);
    assert.equal(h.images.snapshots[0]!.instance_uuid, id);
    await h.waitFor(id, (s) => s['OS-EXT-STS:task_state'] === null);
    // Backups rotate: with rotation 2 only the two newest of a type remain.
    const backups: string[] = [];
    for (let i = 0; i < 3; i++) {
      const bk = await act({ createBackup: { name: `bk-${i}`, backup_type: 'daily', rotation: 2 } }, 'alice', '2.45');
      assert.equal(bk.status, 202, JSON.stringify(bk.body));
      backups.push(bk.body.image_id);
      await h.waitFor(id, (s) => s['OS-EXT-STS:task_state'] === null);
    }
    assert.deepEqual(
      backups.map((b) => h.images.images.has(b)),
      [false, true, true],
    );
    assert.equal(h.images.images.get(backups[2]!)?.backup_type, 'daily');
    assert.equal((await act({ createBackup: { name: 'x', backup_type: 'daily' } })).status, 400);
    const out = await act({ 'os-getConsoleOutput': { length: 5 } });
    assert.equal(out.status, 200);
    assert.equal(out.body.output, 'line1\nline2\n');
    assert.equal((await act({ changePassword: { adminPass: 'x' } })).status, 501);
    assert.equal((await act({ 'os-resetState': { state: 'error' } })).status, 403);
    assert.equal((await act({ 'os-resetState': { state: 'error' } }, 'admin')).status, 202);
    assert.equal((await h.call('GET', `/servers/${id}`)).body.server.status, 'ERROR');
    assert.equal((await act({ migrate: null }, 'admin')).status, 409);
    assert.equal((await act({ restore: null })).status, 409);
    assert.equal((await act({ unshelve: null })).status, 409);
    const unknown = await act({ shelveBogus: null });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.badRequest.message, /There is no such action: shelveBogus/);
    assert.equal((await act({ reboot: { type: 'SIDEWAYS' } })).status, 400);
    assert.equal((await act([])).status, 400);
    const acts = await h.call('GET', `/servers/${id}/os-instance-actions`, { mv: '2.58' });
    assert.ok(acts.body.instanceActions.length >= 10);
    assert.ok('updated_at' in acts.body.instanceActions[0]);
  });

  it('deletes in every state, also while building, and frees the claim', async () => {
    h.agent.silent = true;
    const building = await h.call('POST', '/servers', { body: create() });
    h.agent.silent = false;
    const id = building.body.server.id;
    assert.equal((await h.call('DELETE', `/servers/${id}`)).status, 204);
    assert.equal((await h.call('GET', `/servers/${id}`)).status, 404);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.placement.allocations.has(id), false);
    const active = await boot();
    assert.equal((await h.call('DELETE', `/servers/${active}`)).status, 204);
    assert.equal(h.placement.allocations.has(active), false);
    assert.ok(h.agent.received.some((m) => m.method === 'terminate_instance' && m.args.instance.uuid === active));
    const deleted = await h.call('GET', `/servers/detail?all_tenants=1&deleted=true&uuid=${active}`, { token: 'admin' });
    assert.deepEqual(
      deleted.body.servers.map((s: { id: string; status: string }) => [s.id, s.status]),
      [[active, 'DELETED']],
    );
    assert.equal((await h.call('DELETE', `/servers/${active}`)).status, 404);
    assert.equal((await h.call('DELETE', `/servers/${'9'.repeat(400)}`)).status, 404);
    const forced = await boot();
    assert.equal((await h.call('POST', `/servers/${forced}/action`, { body: { forceDelete: null } })).status, 202);
    assert.equal((await h.call('GET', `/servers/${forced}`)).status, 404);
  });

  it('isolates projects; admins list all_tenants', async () => {
    const mine = await boot({ name: 'alice-only' });
    assert.equal((await h.call('GET', `/servers/${mine}`, { token: 'bob' })).status, 404);
    assert.equal((await h.call('DELETE', `/servers/${mine}`, { token: 'bob' })).status, 404);
    assert.equal((await h.call('POST', `/servers/${mine}/action`, { token: 'bob', body: { 'os-stop': null } })).status, 404);
    const bobs = await h.call('GET', '/servers', { token: 'bob' });
    assert.ok(!bobs.body.servers.some((s: { id: string }) => s.id === mine));
    assert.equal((await h.call('GET', '/servers?all_tenants=1', { token: 'bob' })).status, 403);
    const all = await h.call('GET', '/servers?all_tenants=1', { token: 'admin' });
    assert.ok(all.body.servers.some((s: { id: string }) => s.id === mine));
    const own = await h.call('GET', '/servers', { token: 'admin' });
    assert.ok(!own.body.servers.some((s: { id: string }) => s.id === mine));
    const byProject = await h.call('GET', '/servers?all_tenants=1&project_id=p2', { token: 'admin' });
    assert.ok(byProject.body.servers.length > 0);
  });

  it('lists with filters, sorting and marker paging', async () => {
    const ids = [];
    for (const n of ['page-a', 'page-b', 'page-c']) ids.push(await boot({ name: n }, 'bob'));
    const list = await h.call('GET', '/servers?name=page-', { token: 'bob' });
    assert.deepEqual(
      list.body.servers.map((s: { name: string }) => s.name),
      ['page-c', 'page-b', 'page-a'],
    );
    assert.deepEqual(Object.keys(list.body.servers[0]).sort(), ['id', 'links', 'name']);
    const p1 = await h.call('GET', '/servers?name=page-&limit=2&sort_key=display_name&sort_dir=asc', { token: 'bob' });
    assert.deepEqual(
      p1.body.servers.map((s: { name: string }) => s.name),
      ['page-a', 'page-b'],
    );
    const next = new URL(p1.body.servers_links[0].href);
    assert.equal(next.searchParams.get('marker'), ids[1]);
    const p2 = await h.call('GET', `/servers${next.search}`, { token: 'bob' });
    assert.deepEqual(
      p2.body.servers.map((s: { name: string }) => s.name),
      ['page-c'],
    );
    assert.equal((await h.call('GET', '/servers?marker=nope', { token: 'bob' })).status, 400);
    assert.equal((await h.call('GET', '/servers?limit=-1', { token: 'bob' })).status, 400);
    assert.equal((await h.call('GET', '/servers?sort_key=bogus', { token: 'bob' })).status, 400);
    assert.equal((await h.call('GET', '/servers?changes-since=yesterday', { token: 'bob' })).status, 400);
    const active = await h.call('GET', '/servers/detail?status=ACTIVE&name=^page-a$', { token: 'bob' });
    assert.equal(active.body.servers.length, 1);
    assert.equal((await h.call('GET', '/servers?status=SHUTOFF&name=page', { token: 'bob' })).body.servers.length, 0);
    assert.equal((await h.call('GET', '/servers?status=BOGUS', { token: 'bob' })).body.servers.length, 0);
    assert.equal((await h.call('GET', '/servers?status=BOGUS', { token: 'bob', mv: '2.38' })).status, 400);
    assert.equal((await h.call('GET', `/servers?image=${IMAGE_ID}&name=page`, { token: 'bob' })).body.servers.length, 3);
    assert.equal((await h.call('GET', '/servers?flavor=2&name=page', { token: 'bob' })).body.servers.length, 0);
    // host is an admin filter: ignored for members.
    assert.equal((await h.call('GET', '/servers?host=elsewhere&name=page', { token: 'bob' })).body.servers.length, 3);
    assert.equal((await h.call('GET', '/servers?host=elsewhere&all_tenants=1', { token: 'admin' })).body.servers.length, 0);
    const since = await h.call('GET', `/servers?changes-since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`, {
      token: 'bob',
    });
    assert.ok(since.body.servers.length >= 3);
  });

  it('updates name, description (2.19) and hostname (2.90)', async () => {
    const id = await boot();
    const r = await h.call('PUT', `/servers/${id}`, { body: { server: { name: 'renamed' } } });
    assert.equal(r.status, 200);
    assert.equal(r.body.server.name, 'renamed');
    assert.equal(r.body.server['OS-EXT-STS:vm_state'], undefined, 'reduced view before 2.75');
    assert.equal((await h.call('PUT', `/servers/${id}`, { body: { server: { description: 'x' } } })).status, 400);
    const d = await h.call('PUT', `/servers/${id}`, { mv: '2.19', body: { server: { description: 'x' } } });
    assert.equal(d.body.server.description, 'x');
    const full = await h.call('PUT', `/servers/${id}`, { mv: '2.90', body: { server: { hostname: 'new-host' } } });
    assert.equal(full.body.server['OS-EXT-SRV-ATTR:hostname'], 'new-host');
    assert.equal(full.body.server['OS-EXT-STS:vm_state'], 'active');
    assert.equal((await h.call('PUT', `/servers/${id}`, { body: { server: { name: '' } } })).status, 400);
    assert.equal((await h.call('PUT', `/servers/${id}`, { body: {} })).status, 400);
  });

  it('serves metadata and tags', async () => {
    const id = await boot({ metadata: { a: '1' } });
    const base = `/servers/${id}`;
    assert.deepEqual((await h.call('GET', `${base}/metadata`)).body, { metadata: { a: '1' } });
    assert.deepEqual((await h.call('POST', `${base}/metadata`, { body: { metadata: { b: '2' } } })).body, { metadata: { a: '1', b: '2' } });
    assert.deepEqual((await h.call('PUT', `${base}/metadata`, { body: { metadata: { c: '3' } } })).body, { metadata: { c: '3' } });
    assert.deepEqual((await h.call('PUT', `${base}/metadata/d`, { body: { meta: { d: '4' } } })).body, { meta: { d: '4' } });
    assert.equal((await h.call('PUT', `${base}/metadata/d`, { body: { meta: { e: '4' } } })).status, 400);
    assert.deepEqual((await h.call('GET', `${base}/metadata/d`)).body, { meta: { d: '4' } });
    assert.equal((await h.call('DELETE', `${base}/metadata/d`)).status, 204);
    assert.equal((await h.call('GET', `${base}/metadata/d`)).status, 404);
    assert.equal((await h.call('DELETE', `${base}/metadata/d`)).status, 404);
    h.resources.metadataLimit = 1;
    assert.equal((await h.call('POST', `${base}/metadata`, { body: { metadata: { x: '1' } } })).status, 403);
    h.resources.metadataLimit = 128;
    assert.deepEqual((await h.call('GET', `${base}/ips`)).body, { addresses: {} });
    assert.equal((await h.call('GET', `${base}/ips/private`)).status, 404);
    assert.equal((await h.call('GET', `${base}/ips`, { token: 'bob' })).status, 404);
    // tags (2.26)
    assert.equal((await h.call('GET', `${base}/tags`)).status, 404);
    const mv = '2.26';
    assert.equal((await h.call('PUT', `${base}/tags/t1`, { mv })).status, 201);
    assert.equal((await h.call('PUT', `${base}/tags/t1`, { mv })).status, 204);
    assert.equal((await h.call('GET', `${base}/tags/t1`, { mv })).status, 204);
    assert.equal((await h.call('GET', `${base}/tags/t2`, { mv })).status, 404);
    assert.deepEqual((await h.call('PUT', `${base}/tags`, { mv, body: { tags: ['b', 'a'] } })).body, { tags: ['a', 'b'] });
    assert.equal((await h.call('GET', '/servers?tags=a,b', { mv })).body.servers.length, 1);
    assert.equal(
      (await h.call('GET', '/servers?not-tags=a', { mv })).body.servers.some((s: { id: string }) => s.id === id),
      false,
    );
    assert.equal((await h.call('PUT', `${base}/tags`, { mv, body: { tags: ['a,b'] } })).status, 400);
    assert.equal((await h.call('DELETE', `${base}/tags/a`, { mv })).status, 204);
    assert.equal((await h.call('DELETE', `${base}/tags`, { mv })).status, 204);
    assert.deepEqual((await h.call('GET', `${base}/tags`, { mv })).body, { tags: [] });
  });
});
