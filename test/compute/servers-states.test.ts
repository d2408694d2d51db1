import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkInstanceState, statusOf } from '../../src/compute/domain/instance-states.js';
import { sanitizeHostname } from '../../src/compute/domain/instance-spec.js';
import { hostIdOf, naiveTime } from '../../src/compute/api/server-views.js';
import { createHash } from 'node:crypto';

describe('server states', () => {
  it("maps vm_state/task_state to Nova's API status", () => {
    const cases: [string, string | null, string][] = [
      ['building', 'scheduling', 'BUILD'],
      ['active', null, 'ACTIVE'],
      ['active', 'rebooting', 'REBOOT'],
      ['active', 'rebooting_hard', 'HARD_REBOOT'],
      ['active', 'powering-off', 'ACTIVE'],
      ['active', 'rebuilding', 'REBUILD'],
      ['active', 'resize_prep', 'RESIZE'],
      ['stopped', null, 'SHUTOFF'],
      ['stopped', 'rebuilding', 'REBUILD'],
      ['resized', null, 'VERIFY_RESIZE'],
      ['resized', 'resize_reverting', 'REVERT_RESIZE'],
      ['paused', null, 'PAUSED'],
      ['suspended', null, 'SUSPENDED'],
      ['rescued', null, 'RESCUE'],
      ['error', null, 'ERROR'],
      ['error', 'rebuilding', 'REBUILD'],
      ['deleted', null, 'DELETED'],
      ['soft-delete', null, 'SOFT_DELETED'],
      ['shelved_offloaded', null, 'SHELVED_OFFLOADED'],
      ['bogus', null, 'UNKNOWN'],
    ];
    for (const [vm, task, status] of cases) assert.equal(statusOf(vm, task), status, `${vm}/${task}`);
  });

  it("refuses transitions with Nova's conflict messages", () => {
    const s = { uuid: 'u1', vm_state: 'stopped', task_state: null };
    assert.throws(() => checkInstanceState('stop', s, { vmStates: ['active'] }), {
      status: 409,
      message: "Cannot 'stop' instance u1 while it is in vm_state stopped",
    });
    assert.throws(() => checkInstanceState('start', { ...s, task_state: 'powering-on' }, { vmStates: ['stopped'] }), {
      message: "Cannot 'start' instance u1 while it is in task_state powering-on",
    });
    checkInstanceState('start', s, { vmStates: ['stopped'] });
  });

  it('renders hostId, times and hostnames as Nova', () => {
    assert.equal(hostIdOf({ project_id: 'p', host: null }), '');
    assert.equal(hostIdOf({ project_id: 'p', host: 'h' }), createHash('sha224').update('ph').digest('hex'));
    assert.equal(naiveTime('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05.678000');
    assert.equal(sanitizeHostname('My Server_1!', 'x'), 'my-server-1');
    assert.equal(sanitizeHostname('!!!', 'fallback'), 'fallback');
  });
});
