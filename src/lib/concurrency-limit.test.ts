import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyLimit } from './concurrency-limit.js';

it('never runs more than the limit at once, in arrival order, and survives failures', async () => {
  const limit = new ConcurrencyLimit(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const tasks = Array.from({ length: 8 }, (_, i) =>
    limit.run(async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      await sleep(5);
      running--;
      if (i === 3) throw new Error('boom');
      return i;
    }),
  );
  const results = await Promise.allSettled(tasks);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
  assert.throws(() => new ConcurrencyLimit(0), RangeError);
});
