/**
 * One contract, every bus: the same suite runs against the in-process bus and
 * against RabbitMQ (env KUMO_TEST_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672).
 * Without a reachable broker the AMQP run is skipped, unless env CI is set.
 */
import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { KumoError } from '../errors.js';
import { AmqpBus } from './amqp-bus.js';
import type { Bus, BusTarget } from './bus.js';
import { InProcessBus } from './in-process-bus.js';
import { openBus } from './index.js';

/** How long "nothing more arrives" is watched for after the expected deliveries. */
const SETTLE_MS = 100;

let seq = 0;
/** Topics used by this run (fresh per test, so tests never see each other's messages). */
const topics: string[] = [];
function topic(): string {
  const t = `t${++seq}`;
  topics.push(t);
  return t;
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** assert.rejects validator: a KumoError with this code (and status). */
function kumo(code: string, status?: number, message?: string) {
  return (err: unknown): true => {
    assert.ok(err instanceof KumoError, `expected KumoError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (status !== undefined) assert.equal(err.status, status);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  };
}

/** The contract every Bus implementation must honour. */
function busContract(make: () => Promise<Bus>): void {
  async function open(t: TestContext): Promise<Bus> {
    const bus = await make();
    t.after(() => bus.close());
    return bus;
  }

  it('call delivers to a server and returns its value', async (t) => {
    const bus = await open(t);
    const tp = topic();
    await bus.serve(
      { topic: tp },
      {
        add: (a, ctx) => ({ sum: (a.x as number) + (a.y as number), ctx }),
        nothing: () => undefined,
      },
    );
    assert.deepEqual(await bus.call({ topic: tp }, 'add', { x: 2, y: 3 }), { sum: 5, ctx: { method: 'add', topic: tp } });
    assert.equal(await bus.call({ topic: tp }, 'nothing', {}), undefined);
  });

  it('call times out with bus_timeout, with a slow server or none', async (t) => {
    const bus = await open(t);
    const tp = topic();
    let release: (() => void) | undefined;
    await bus.serve({ topic: tp }, { slow: () => new Promise<void>((r) => (release = r)) });
    await assert.rejects(bus.call({ topic: tp }, 'slow', {}, { timeoutMs: 50 }), kumo('bus_timeout', 504));
    release?.(); // the late reply must be ignored
    await assert.rejects(bus.call({ topic: topic() }, 'any', {}, { timeoutMs: 50 }), kumo('bus_timeout', 504));
  });

  it('a KumoError thrown remotely keeps its code, status and message', async (t) => {
    const bus = await open(t);
    const tp = topic();
    await bus.serve(
      { topic: tp },
      {
        find: async () => {
          throw new KumoError('instance_not_found', 404, 'Instance abc could not be found.');
        },
      },
    );
    await assert.rejects(bus.call({ topic: tp }, 'find', {}), kumo('instance_not_found', 404, 'Instance abc could not be found.'));
  });

  it('any other error becomes remote_error (500)', async (t) => {
    const bus = await open(t);
    const tp = topic();
    await bus.serve(
      { topic: tp },
      {
        sync: () => {
          throw new TypeError('boom');
        },
        async: async () => Promise.reject(new Error('bang')),
      },
    );
    await assert.rejects(bus.call({ topic: tp }, 'sync', {}), kumo('remote_error', 500, 'boom'));
    await assert.rejects(bus.call({ topic: tp }, 'async', {}), kumo('remote_error', 500, 'bang'));
  });

  it('an unknown method fails with bus_no_handler, prototype names included', async (t) => {
    const bus = await open(t);
    const tp = topic();
    await bus.serve({ topic: tp }, { known: () => 1 });
    for (const method of ['unknown', 'toString', '__proto__', 'constructor']) {
      await assert.rejects(bus.call({ topic: tp }, method, {}), kumo('bus_no_handler', 500));
    }
  });

  it('a cast reaches exactly one of two competing servers', async (t) => {
    const bus = await open(t);
    const tp = topic();
    const got: Record<string, number[]> = { a: [], b: [] };
    for (const name of ['a', 'b'] as const) {
      await bus.serve({ topic: tp }, { work: (a) => void got[name]!.push(a.i as number) });
    }
    for (let i = 0; i < 10; i++) await bus.cast({ topic: tp }, 'work', { i });
    const total = (): number => got.a!.length + got.b!.length;
    await until(() => total() >= 10, '10 casts');
    await sleep(SETTLE_MS);
    assert.deepEqual(
      [...got.a!, ...got.b!].sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.ok(got.a!.length > 0 && got.b!.length > 0, `both servers take turns: ${JSON.stringify(got)}`);
  });

  it('a target with a server reaches only that server', async (t) => {
    const bus = await open(t);
    const tp = topic();
    const casts: string[] = [];
    for (const host of ['h1', 'h2']) {
      await bus.serve({ topic: tp, server: host }, { who: () => host, note: () => void casts.push(host) });
    }
    for (let i = 0; i < 6; i++) assert.equal(await bus.call({ topic: tp, server: 'h2' }, 'who', {}), 'h2');
    const anyHost = new Set<unknown>();
    for (let i = 0; i < 6; i++) anyHost.add(await bus.call({ topic: tp }, 'who', {}));
    assert.deepEqual([...anyHost].sort(), ['h1', 'h2']);
    await bus.cast({ topic: tp, server: 'h1' }, 'note', {});
    await until(() => casts.length >= 1, 'targeted cast');
    await sleep(SETTLE_MS);
    assert.deepEqual(casts, ['h1']);
  });

  it('a topic.server is exclusive until its subscription closes', async (t) => {
    const bus = await open(t);
    const tp = topic();
    const first = await bus.serve({ topic: tp, server: 'h1' }, { who: () => 'first' });
    await assert.rejects(bus.serve({ topic: tp, server: 'h1' }, { who: () => 'second' }), kumo('bus_server_taken', 409));
    await first.close();
    await bus.serve({ topic: tp, server: 'h1' }, { who: () => 'third' });
    assert.equal(await bus.call({ topic: tp, server: 'h1' }, 'who', {}), 'third');
  });

  it('a fanout reaches every server of the topic once', async (t) => {
    const bus = await open(t);
    const tp = topic();
    const got = new Map<string, unknown[]>();
    const targets: Array<[string, BusTarget]> = [
      ['h1', { topic: tp, server: 'h1' }],
      ['h2', { topic: tp, server: 'h2' }],
      ['anon', { topic: tp }],
      ['other', { topic: topic() }],
    ];
    for (const [name, target] of targets) {
      got.set(name, []);
      await bus.serve(target, { refresh: (a) => void got.get(name)!.push(a) });
    }
    await bus.fanout(tp, 'refresh', { gen: 7 });
    await until(() => ['h1', 'h2', 'anon'].every((n) => got.get(n)!.length >= 1), 'fanout to all');
    await sleep(SETTLE_MS);
    assert.deepEqual(Object.fromEntries(got), { h1: [{ gen: 7 }], h2: [{ gen: 7 }], anon: [{ gen: 7 }], other: [] });
  });

  it('a closed subscription receives nothing more', async (t) => {
    const bus = await open(t);
    const tp = topic();
    const fanouts: string[] = [];
    const serve = (name: string) => bus.serve({ topic: tp }, { who: () => name, ping: () => void fanouts.push(name) });
    const a = await serve('a');
    const b = await serve('b');
    await a.close();
    for (let i = 0; i < 4; i++) assert.equal(await bus.call({ topic: tp }, 'who', {}), 'b');
    await bus.fanout(tp, 'ping', {});
    await until(() => fanouts.length >= 1, 'fanout');
    await sleep(SETTLE_MS);
    assert.deepEqual(fanouts, ['b']);
    await b.close();
    await assert.rejects(bus.call({ topic: tp }, 'who', {}, { timeoutMs: 100 }), kumo('bus_timeout'));
  });

  it('args and results are copies: neither side sees the other mutate', async (t) => {
    const bus = await open(t);
    const tp = topic();
    const seen: Array<Record<string, unknown>> = [];
    await bus.serve(
      { topic: tp },
      {
        mutate: (a) => {
          (a.list as number[]).push(99);
          seen.push(a);
          return a;
        },
        keep: (a) => void seen.push(a),
      },
    );
    const args = { list: [1] };
    const result = await bus.call<{ list: number[] }>({ topic: tp }, 'mutate', args);
    assert.deepEqual(args, { list: [1] });
    assert.deepEqual(result, { list: [1, 99] });
    assert.notEqual(result, seen[0]);
    const later = { n: 1 };
    await bus.cast({ topic: tp }, 'keep', later);
    later.n = 2; // after cast resolved, before or after delivery: either way invisible
    await until(() => seen.length === 2, 'cast');
    assert.deepEqual(seen[1], { n: 1 });
  });

  it('50 concurrent calls each get their own reply', async (t) => {
    const bus = await open(t);
    const tp = topic();
    for (const name of ['a', 'b']) {
      await bus.serve(
        { topic: tp },
        {
          square: async (a) => {
            const i = a.i as number;
            await sleep(i % 7); // replies come back out of order
            return { i, sq: i * i, by: name };
          },
        },
      );
    }
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => bus.call<{ i: number; sq: number; by: string }>({ topic: tp }, 'square', { i })),
    );
    replies.forEach((r, i) => assert.deepEqual([r.i, r.sq], [i, i * i]));
    assert.deepEqual([...new Set(replies.map((r) => r.by))].sort(), ['a', 'b']);
  });

  it('close rejects pending calls with bus_disconnected, and everything after', async (t) => {
    const bus = await open(t);
    const tp = topic();
    let started = false;
    await bus.serve(
      { topic: tp },
      {
        hang: () => {
          started = true;
          return new Promise(() => {});
        },
      },
    );
    const pending = bus.call({ topic: tp }, 'hang', {}, { timeoutMs: 10_000 });
    await until(() => started, 'handler start');
    const rejected = assert.rejects(pending, kumo('bus_disconnected', 503)); // handled before close()
    await bus.close();
    await rejected;
    await assert.rejects(bus.call({ topic: tp }, 'hang', {}), kumo('bus_disconnected', 503));
    await assert.rejects(bus.cast({ topic: tp }, 'hang', {}), kumo('bus_disconnected', 503));
    await assert.rejects(bus.fanout(tp, 'hang', {}), kumo('bus_disconnected', 503));
    await assert.rejects(bus.serve({ topic: tp }, {}), kumo('bus_disconnected', 503));
    await bus.close(); // idempotent
  });
}

describe('InProcessBus', () => {
  busContract(async () => new InProcessBus());
});

const AMQP_URL = process.env.KUMO_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Unique per run: it names the exchanges and prefixes every queue. */
const EXCHANGE = `kumo_test_${process.pid}_${Date.now().toString(36)}`;
const brokerUrl = new URL(AMQP_URL);
const brokerPort = Number(brokerUrl.port || (brokerUrl.protocol === 'amqps:' ? 5671 : 5672));

/** Resolves to why the broker's port cannot be reached, or undefined if it can. */
function probe(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: brokerUrl.hostname, port: brokerPort, timeout: 2000 });
    sock.once('connect', () => (sock.destroy(), resolve(undefined)));
    sock.once('timeout', () => (sock.destroy(), resolve('connect timeout')));
    sock.once('error', (err) => resolve(err.message));
  });
}

const unreachable = await probe();
const skip =
  unreachable && !process.env.CI
    ? `RabbitMQ unreachable at ${brokerUrl.hostname}:${brokerPort} (${unreachable}); set CI to fail instead`
    : false;

describe('AmqpBus', { skip }, () => {
  const connect = (url = AMQP_URL): Promise<AmqpBus> => AmqpBus.connect({ url, exchange: EXCHANGE });

  // Queues are exclusive or auto-delete; exchanges are not, so remove this run's.
  after(async () => {
    const conn = await amqp.connect(AMQP_URL);
    const ch = await conn.createChannel();
    for (const name of [EXCHANGE, ...topics.map((t) => `${EXCHANGE}_fanout_${t}`)]) await ch.deleteExchange(name);
    await conn.close();
  });

  busContract(() => connect());

  it('a topic.server served by another connection is refused', async (t) => {
    const [one, two] = [await connect(), await connect()];
    t.after(() => Promise.all([one.close(), two.close()]));
    const tp = topic();
    await one.serve({ topic: tp, server: 'h1' }, {});
    await assert.rejects(two.serve({ topic: tp, server: 'h1' }, {}), kumo('bus_server_taken', 409));
  });

  it('a lost connection rejects pending calls with bus_disconnected', async (t) => {
    // A TCP proxy we can cut, standing in for a broker or network failure.
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = netConnect({ host: brokerUrl.hostname, port: brokerPort });
      const cut = (): void => void (client.destroy(), upstream.destroy());
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', cut).on('close', cut);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const viaProxy = new URL(AMQP_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String((proxy.address() as AddressInfo).port);
    const bus = await connect(viaProxy.toString());
    t.after(() => bus.close());

    const tp = topic();
    let started = false;
    await bus.serve({ topic: tp }, { hang: () => ((started = true), new Promise(() => {})) });
    const pending = bus.call({ topic: tp }, 'hang', {}, { timeoutMs: 10_000 });
    await until(() => started, 'handler start');
    for (const s of sockets) s.destroy();
    await assert.rejects(pending, kumo('bus_disconnected', 503));
    await assert.rejects(bus.cast({ topic: tp }, 'hang', {}), kumo('bus_disconnected', 503));
  });
});

describe('openBus', () => {
  it('opens the in-process bus for no URL or memory://', async () => {
    for (const url of [undefined, 'memory://']) {
      const bus = await openBus(url);
      assert.ok(bus instanceof InProcessBus);
      await bus.close();
    }
  });

  it('refuses an unknown scheme without echoing the URL', async () => {
    await assert.rejects(openBus('redis://u:secret@h'), (err: unknown) => {
      assert.ok(err instanceof KumoError && err.code === 'bus_bad_url');
      assert.ok(!err.message.includes('secret'));
      return true;
    });
  });
});
