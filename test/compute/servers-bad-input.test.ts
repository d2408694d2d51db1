import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IMAGE_ID, startServersHarness, type ServersHarness } from './servers-fixtures.js';

const NOVA_FAULTS = ['badRequest', 'itemNotFound', 'forbidden', 'conflictingRequest', 'computeFault', 'notImplemented', 'unauthorized'];

describe('bad input on every server route: a 4xx Nova fault, never a 5xx', () => {
  let h: ServersHarness;
  let id: string;
  before(async () => {
    h = await startServersHarness();
    const r = await h.call('POST', '/servers', { body: { server: { name: 'vm', imageRef: IMAGE_ID, flavorRef: '1' } } });
    id = r.body.server.id;
    await h.waitFor(id, (s) => s.status === 'ACTIVE');
  });
  after(async () => {
    await h?.close();
  });

  const bodies: unknown[] = [
    null,
    'x',
    42,
    [],
    {},
    { server: null },
    { server: [] },
    { a: { b: 1 } },
    { meta: 'x' },
    { metadata: [] },
    { tags: 'x' },
  ];

  it('answers garbage with 4xx and a Nova fault body', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const routes: [string, string][] = [
      ['POST', '/servers'],
      ['PUT', `/servers/${id}`],
      ['POST', `/servers/${id}/action`],
      ['POST', `/servers/${missing}/action`],
      ['POST', `/servers/${id}/metadata`],
      ['PUT', `/servers/${id}/metadata`],
      ['PUT', `/servers/${id}/metadata/k`],
      ['PUT', `/servers/${id}/tags`],
      ['PUT', `/servers/${missing}`],
      ['POST', `/images/${IMAGE_ID}/metadata`],
      ['PUT', `/images/${IMAGE_ID}/metadata`],
      ['PUT', `/images/${IMAGE_ID}/metadata/k`],
      ['POST', `/images/${missing}/metadata`],
    ];
    for (const [method, path] of routes) {
      for (const body of bodies) {
        for (const mv of ['2.1', '2.26', '2.93']) {
          const r = await h.call(method, path, { body, mv });
          assert.ok(
            r.status >= 400 && r.status < 500,
            `${method} ${path} ${JSON.stringify(body)} @${mv} → ${r.status} ${JSON.stringify(r.body)}`,
          );
          assert.ok(NOVA_FAULTS.includes(Object.keys(r.body ?? {})[0] ?? ''), `${method} ${path}: ${JSON.stringify(r.body)}`);
        }
      }
    }
    const gets = [
      `/servers/${missing}`,
      `/servers/${'x'.repeat(300)}`,
      '/servers?limit=abc',
      '/servers?limit=1&marker=',
      '/servers/detail?sort_dir=sideways&sort_key=display_name',
      '/servers/detail?changes-since=garbage',
      '/servers?all_tenants=1',
      `/servers/${id}/metadata/nokey`,
      `/servers/${id}/os-instance-actions/req-nope`,
      `/servers/${missing}/os-instance-actions`,
      `/servers/${id}/tags/nope`,
      `/servers/${missing}/os-server-password`,
      `/images/${missing}`,
      `/images/${missing}/metadata`,
      `/images/${IMAGE_ID}/metadata/nokey`,
      '/images?limit=abc',
      '/images/detail?minRam=x',
      '/images?marker=nope',
      '/extensions/nope',
    ];
    for (const path of gets) {
      for (const mv of ['2.1', '2.26', '2.73', '2.93']) {
        const r = await h.call('GET', path, { mv });
        assert.ok(r.status >= 400 && r.status < 500, `GET ${path} @${mv} → ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    assert.equal((await h.call('GET', '/servers?locked=maybe', { mv: '2.73' })).status, 400);
    assert.equal((await h.call('GET', `/servers/${id}/os-instance-actions?limit=x`, { mv: '2.58' })).status, 400);
    assert.equal((await h.call('GET', `/servers/${id}/os-instance-actions?marker=nope`, { mv: '2.58' })).status, 400);
    assert.equal((await h.call('PUT', `/servers/${id}/tags/${'t'.repeat(61)}`, { mv: '2.26' })).status, 400);
    assert.equal((await h.call('DELETE', `/servers/${missing}`)).status, 404);
    assert.equal((await h.call('GET', '/servers', { token: 'nobody' })).status, 401);
  });

  it('answers every action with bad arguments with 400', async () => {
    const actions: unknown[] = [
      { reboot: null },
      { reboot: { type: 1 } },
      { resize: {} },
      { resize: { flavorRef: '' } },
      { rebuild: {} },
      { rebuild: { imageRef: IMAGE_ID, bogus: 1 } },
      { rebuild: { imageRef: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' } },
      { createImage: {} },
      { createImage: { name: '' } },
      { 'os-getConsoleOutput': { length: 'abc' } },
      { 'os-getConsoleOutput': { length: -5 } },
      { 'os-stop': 5 },
      { 'os-resetState': { state: 'bogus' } },
      { changePassword: {} },
      { lock: { locked_reason: 5 } },
    ];
    for (const body of actions) {
      const r = await h.call('POST', `/servers/${id}/action`, { body, mv: '2.73', token: 'admin' });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(r.body.badRequest.message);
    }
  });
});
