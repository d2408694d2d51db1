import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KumoError } from '../errors.js';
import { Microversion, microversionHeaders, negotiateMicroversion, type MicroversionPolicy } from './microversion.js';

const compute: MicroversionPolicy = { serviceType: 'compute', legacyHeader: 'X-OpenStack-Nova-API-Version', min: '2.1', max: '2.93' };

describe('microversion negotiation', () => {
  it('defaults to the minimum and understands latest', () => {
    assert.equal(negotiateMicroversion({}, compute).toString(), '2.1');
    assert.equal(negotiateMicroversion({ 'openstack-api-version': 'compute latest' }, compute).toString(), '2.93');
  });

  it('reads the modern header for its own service only, then the legacy header', () => {
    assert.equal(negotiateMicroversion({ 'openstack-api-version': 'placement 1.10, compute 2.79' }, compute).toString(), '2.79');
    assert.equal(negotiateMicroversion({ 'openstack-api-version': 'placement 1.10' }, compute).toString(), '2.1');
    assert.equal(negotiateMicroversion({ 'x-openstack-nova-api-version': '2.60' }, compute).toString(), '2.60');
  });

  it('answers 406 outside the range and 400 for garbage', () => {
    const status = (h: Record<string, string>): number => {
      try {
        negotiateMicroversion(h, compute);
        return 200;
      } catch (e) {
        return (e as KumoError).status;
      }
    };
    assert.equal(status({ 'openstack-api-version': 'compute 2.94' }), 406);
    assert.equal(status({ 'openstack-api-version': 'compute 1.99' }), 406);
    assert.equal(status({ 'openstack-api-version': 'compute two' }), 400);
  });

  it('compares versions numerically, not as text', () => {
    const v = Microversion.parse('2.10');
    assert.ok(v?.atLeast('2.9'));
    assert.ok(!v?.atLeast('2.11'));
  });

  it('announces the version served', () => {
    const h = microversionHeaders(new Microversion(2, 79), compute);
    assert.equal(h['openstack-api-version'], 'compute 2.79');
    assert.equal(h['x-openstack-nova-api-version'], '2.79');
    assert.match(h.vary ?? '', /OpenStack-API-Version/);
  });
});
