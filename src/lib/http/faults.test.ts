import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KumoError } from '../errors.js';
import { renderFault } from './faults.js';

const err = new KumoError('port_not_found', 404, 'Port abc could not be found.');
const ctx = { requestId: 'req-1' };

it('renders each API family fault body', () => {
  assert.deepEqual(renderFault('keystone', err, ctx), {
    error: { code: 404, title: 'Not Found', message: 'Port abc could not be found.' },
  });
  assert.deepEqual(renderFault('nova', err, ctx), { itemNotFound: { code: 404, message: 'Port abc could not be found.' } });
  assert.deepEqual(renderFault('neutron', err, ctx), {
    NeutronError: { type: 'PortNotFound', message: 'Port abc could not be found.', detail: '' },
  });
  assert.deepEqual(renderFault('placement', err, ctx), {
    errors: [
      { status: 404, title: 'Not Found', detail: 'Port abc could not be found.', request_id: 'req-1', code: 'placement.undefined_code' },
    ],
  });
  assert.deepEqual(renderFault('nova', new KumoError('x', 500, 'boom'), ctx), { computeFault: { code: 500, message: 'boom' } });
});
