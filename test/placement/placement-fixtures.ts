import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { HarnessResponse } from '../support/identity-harness.js';
import type { PlacementHarness } from './placement-harness.js';

/** Asserts a placement fault: status, `errors[0].code`, and optionally words of the detail. */
export function assertFault(r: HarnessResponse, status: number, code = 'placement.undefined_code', detail?: RegExp): void {
  assert.equal(r.status, status, r.text);
  const e = r.body?.errors?.[0];
  assert.ok(e, `no placement error body: ${r.text}`);
  assert.equal(e.status, status);
  assert.equal(e.code, code, r.text);
  assert.equal(typeof e.title, 'string');
  assert.equal(typeof e.request_id, 'string');
  if (detail) assert.match(e.detail, detail);
}

/** A compute-node-like provider with VCPU/MEMORY_MB/DISK_GB inventory, as the agent creates it. */
export async function computeNode(
  h: PlacementHarness,
  opts: { name?: string; vcpu?: number; ratio?: number; ram?: number; reserved?: number; disk?: number; parent?: string } = {},
): Promise<string> {
  const uuid = randomUUID();
  const c = await h.request('POST', '/resource_providers', {
    version: '1.20',
    body: { name: opts.name ?? `host-${uuid.slice(0, 8)}`, uuid, ...(opts.parent ? { parent_provider_uuid: opts.parent } : {}) },
  });
  assert.equal(c.status, 201, c.text);
  const inv = await h.request('PUT', `/resource_providers/${uuid}/inventories`, {
    body: {
      resource_provider_generation: 0,
      inventories: {
        VCPU: { total: opts.vcpu ?? 4, allocation_ratio: opts.ratio ?? 1 },
        MEMORY_MB: { total: opts.ram ?? 4096, reserved: opts.reserved ?? 0 },
        DISK_GB: { total: opts.disk ?? 100 },
      },
    },
  });
  assert.equal(inv.status, 200, inv.text);
  return uuid;
}

/** Claims like the conductor does (1.36, new consumer). */
export function claim(
  h: PlacementHarness,
  consumer: string,
  rp: string,
  resources: Record<string, number>,
  generation: number | null = null,
) {
  return h.request('PUT', `/allocations/${consumer}`, {
    version: '1.36',
    body: { allocations: { [rp]: { resources } }, project_id: 'proj', user_id: 'user', consumer_generation: generation },
  });
}
