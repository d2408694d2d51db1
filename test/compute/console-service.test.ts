/**
 * ConsoleService against every database backend: tokens are random, stored
 * only as hashes, expire after the TTL, lead exactly to the console they were
 * issued for, and console requests fail as Nova's do.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConsoleService, novncUrl } from '../../src/compute/domain/console-service.js';
import { CONSOLE_POLICY } from '../../src/compute/domain/console-policy.js';
import { COMPUTE_POLICY } from '../../src/compute/domain/policy-defaults.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import type { Database } from '../../src/lib/db/database.js';
import { KumoError, notFound } from '../../src/lib/errors.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { databaseBackends, type Backend } from '../support/db-backends.js';
import { caller, FakeConsoleTargets, openConsoleDatabase } from './console-fixtures.js';

const backends = await databaseBackends();
after(() => Promise.all(backends.map((b) => b.cleanup())));

const BASE = 'http://proxy.example:6080/vnc_lite.html';
const UUID_A = '0a3e1bde-1111-4c3e-9a55-0000000000aa';
const UUID_B = '0a3e1bde-2222-4c3e-9a55-0000000000bb';
const status = (code: number, message?: string) => (e: unknown) =>
  e instanceof KumoError && e.status === code && (message === undefined || e.message === message);
const tokenOf = (url: string) => new URLSearchParams(new URLSearchParams(new URL(url).search).get('path') ?? '').get('token') ?? '';

function consoleContract(backend: Backend): void {
  describe(`console tokens on ${backend.name}`, { skip: backend.skip ?? false }, () => {
    let database: Database<ComputeDB>;
    let bus: InProcessBus;
    let consoles: ConsoleService;
    let clock = new Date('2026-01-01T00:00:00.000Z');
    const targets = new FakeConsoleTargets();
    const asked: { host: string; uuid: string; requestId: unknown }[] = [];
    let agentB: 'ok' | 'gone' | 'garbage' = 'ok';

    before(async () => {
      database = await openConsoleDatabase(await backend.create());
      bus = new InProcessBus();
      // Two agents whose guests' VNC servers listen on different ports.
      await bus.serve(
        { topic: 'compute', server: 'host-a' },
        {
          get_vnc_console: (args) => {
            const instance = args.instance as { uuid: string };
            asked.push({ host: 'host-a', uuid: instance.uuid, requestId: args.requestId });
            return { host: '127.0.0.1', port: 5901 };
          },
        },
      );
      await bus.serve(
        { topic: 'compute', server: 'host-b' },
        {
          get_vnc_console: (args) => {
            const instance = args.instance as { uuid: string };
            asked.push({ host: 'host-b', uuid: instance.uuid, requestId: args.requestId });
            if (agentB === 'gone') throw notFound(`Domain ${instance.uuid} not found`);
            if (agentB === 'garbage') return { host: '', port: 99999 };
            return { host: '127.0.0.1', port: 5907 };
          },
        },
      );
      consoles = new ConsoleService({
        db: database.db,
        bus,
        targets,
        policy: new PolicyEngine({ ...COMPUTE_POLICY, ...CONSOLE_POLICY }),
        novncBaseUrl: () => BASE,
        now: () => clock,
        rpcTimeoutMs: 2000,
      });
      targets.add(UUID_A, 'p1', 'host-a');
      targets.add(UUID_B, 'p2', 'host-b');
    });
    after(async () => {
      await bus?.close();
      await database?.close();
    });

    it('issues a noVNC URL in Nova format whose token leads to the guest the agent named', async () => {
      const c = caller('p1');
      const { url } = await consoles.createConsole(c, await consoles.target(c, UUID_A), 'vnc', 'novnc');
      assert.match(url, /^http:\/\/proxy\.example:6080\/vnc_lite\.html\?path=%3Ftoken%3D[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(asked.at(-1), { host: 'host-a', uuid: UUID_A, requestId: 'req-p1' });
      const info = await consoles.validate(tokenOf(url));
      assert.deepEqual(info, {
        instanceUuid: UUID_A,
        consoleType: 'novnc',
        host: '127.0.0.1',
        port: 5901,
        internalAccessPath: null,
        accessUrlBase: BASE,
        expiresAt: '2026-01-01T00:10:00.000Z',
      });
    });

    it('stores only the SHA-256 of a token, never the token', async () => {
      const token = await consoles.authorize({ instanceUuid: UUID_A, consoleType: 'novnc', host: '127.0.0.1', port: 5901 });
      const rows = await database.db.selectFrom('console_auth_tokens').selectAll().execute();
      const hash = createHash('sha256').update(token).digest('hex');
      assert.ok(rows.some((r) => r.token_hash === hash));
      for (const r of rows) for (const v of Object.values(r)) assert.ok(!String(v).includes(token));
    });

    it('gives every console its own token, and a token reaches only its own server host and port', async () => {
      const a = tokenOf((await consoles.createConsole(caller('p1'), targets.servers.get(UUID_A)!, 'vnc', 'novnc')).url);
      const b = tokenOf((await consoles.createConsole(caller('p2'), targets.servers.get(UUID_B)!, 'vnc', 'novnc')).url);
      const a2 = tokenOf((await consoles.createConsole(caller('p1'), targets.servers.get(UUID_A)!, 'vnc', 'novnc')).url);
      assert.equal(new Set([a, b, a2]).size, 3);
      assert.deepEqual([(await consoles.validate(a))?.port, (await consoles.validate(a))?.instanceUuid], [5901, UUID_A]);
      assert.deepEqual([(await consoles.validate(b))?.port, (await consoles.validate(b))?.instanceUuid], [5907, UUID_B]);
      // Near misses are no token at all.
      assert.equal(await consoles.validate(a.slice(0, -1)), undefined);
      assert.equal(await consoles.validate(a + 'x'), undefined);
      assert.equal(await consoles.validate(`bad${b}`), undefined);
    });

    it('expires tokens after ten minutes and purges them', async () => {
      const start = clock;
      try {
        const token = await consoles.authorize({ instanceUuid: UUID_B, consoleType: 'novnc', host: '127.0.0.1', port: 5907 });
        clock = new Date(start.getTime() + 599_000);
        assert.equal((await consoles.validate(token))?.port, 5907);
        clock = new Date(start.getTime() + 600_000);
        assert.equal(await consoles.validate(token), undefined);
        const before = await database.db.selectFrom('console_auth_tokens').select('token_hash').execute();
        assert.ok((await consoles.purgeExpired()) >= 1);
        const left = await database.db.selectFrom('console_auth_tokens').select('token_hash').execute();
        assert.ok(left.length < before.length);
        assert.ok(!left.some((r) => r.token_hash === createHash('sha256').update(token).digest('hex')));
      } finally {
        clock = start;
      }
    });

    it('revokes every token of a deleted server and one token on request', async () => {
      const a = await consoles.authorize({ instanceUuid: UUID_A, consoleType: 'novnc', host: '127.0.0.1', port: 5901 });
      const b = await consoles.authorize({ instanceUuid: UUID_B, consoleType: 'novnc', host: '127.0.0.1', port: 5907 });
      assert.ok((await consoles.deleteForInstance(UUID_A)) >= 1);
      assert.equal(await consoles.validate(a), undefined);
      assert.equal((await consoles.validate(b))?.instanceUuid, UUID_B);
      await consoles.revoke(b);
      assert.equal(await consoles.validate(b), undefined);
    });

    it('never throws on garbage tokens', async () => {
      for (const t of [undefined, null, 42, {}, '', 'x'.repeat(10_000), "' or 1=1 --", '\u0000']) {
        assert.equal(await consoles.validate(t), undefined);
      }
    });

    it('refuses servers that are not running on a host with 409, as Nova InstanceNotReady', async () => {
      const c = caller('p3');
      const building = targets.add('0a3e1bde-3333-4c3e-9a55-0000000000cc', 'p3', null, 'BUILD');
      await assert.rejects(consoles.createConsole(c, building, 'vnc', 'novnc'), status(409, `Instance ${building.uuid} is not ready`));
      const off = targets.add('0a3e1bde-4444-4c3e-9a55-0000000000dd', 'p3', 'host-a', 'SHUTOFF');
      await assert.rejects(consoles.createConsole(c, off, 'vnc', 'novnc'), status(409));
    });

    it('answers 400 for console kinds Kumo does not serve', async () => {
      const t = targets.servers.get(UUID_A)!;
      await assert.rejects(
        consoles.createConsole(caller('p1'), t, 'spice', 'spice-html5'),
        status(400, 'Unavailable console type spice-html5.'),
      );
      await assert.rejects(consoles.createConsole(caller('p1'), t, 'serial', 'serial'), status(400, 'Unavailable console type serial.'));
      await assert.rejects(consoles.createConsole(caller('p1'), t, 'vnc', 'xvpvnc'), status(400, 'Invalid console type xvpvnc'));
    });

    it('maps an agent that lost the guest to 409 and a bad agent reply to 500', async () => {
      const t = targets.servers.get(UUID_B)!;
      try {
        agentB = 'gone';
        await assert.rejects(consoles.createConsole(caller('p2'), t, 'vnc', 'novnc'), status(409));
        agentB = 'garbage';
        await assert.rejects(consoles.createConsole(caller('p2'), t, 'vnc', 'novnc'), status(500));
      } finally {
        agentB = 'ok';
      }
    });

    it('looks servers up as the caller sees them', async () => {
      await assert.rejects(consoles.target(caller('p2'), UUID_A), status(404));
      assert.equal((await consoles.target(caller('px', { admin: true }), UUID_A)).uuid, UUID_A);
    });
  });
}

for (const backend of backends) consoleContract(backend);

describe('novncUrl', () => {
  it('encodes the websocket path as Nova (urlencode of {path: "?token=..."})', () => {
    assert.equal(novncUrl('http://h:6080/vnc_lite.html', 'abc-_9'), 'http://h:6080/vnc_lite.html?path=%3Ftoken%3Dabc-_9');
  });
});
