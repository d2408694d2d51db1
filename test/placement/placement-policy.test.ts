import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertFault } from './placement-fixtures.js';
import { startPlacement, type PlacementHarness } from './placement-harness.js';

let h: PlacementHarness;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kumo-placement-policy-'));
  const file = join(dir, 'policy.yaml');
  // An operator lets readers list providers, nothing else.
  await writeFile(file, '"placement:resource_providers:list": "role:reader"\n');
  h = await startPlacement({ env: { KUMO_PLACEMENT_POLICY_FILE: file } });
});
after(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

test('policy file overrides one rule and leaves the admin-only defaults', async () => {
  const member = await h.tokenWithRole('member');
  assert.equal((await h.request('GET', '/resource_providers', { token: member })).status, 200);
  assertFault(await h.request('GET', '/resource_classes', { token: member, version: '1.2' }), 403);
  assertFault(await h.request('POST', '/resource_providers', { token: member, body: { name: 'nope' } }), 403);
});

test('a known URL with another method is 405 with Allow', async () => {
  const r = await h.request('PATCH', '/resource_providers');
  assertFault(r, 405);
  assert.equal(r.headers.get('allow'), 'GET, POST');
  assertFault(await h.request('POST', '/allocation_candidates', { version: '1.10' }), 405);
  assertFault(await h.request('DELETE', '/usages'), 405);
});

test('GET answers are marked no-cache with a Last-Modified from 1.15', async () => {
  const old = await h.request('GET', '/resource_providers', { version: '1.14' });
  assert.equal(old.headers.get('cache-control'), null);
  const r = await h.request('GET', '/resource_providers', { version: '1.15' });
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.ok(!Number.isNaN(Date.parse(r.headers.get('last-modified')!)));
});
