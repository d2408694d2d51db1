import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { QmpClient, QmpError, withQmp } from '../../src/agent/compute/qemu/qmp-client.js';

/** A fake QEMU monitor: greeting, then answers per command (split across writes to test framing). */
async function fakeQmp(t: { after(fn: () => Promise<void> | void): void }, answers: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'qmp-'));
  const path = join(dir, 'qmp.sock');
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.write('{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}}, "capabilities": []}}\r\n');
    let buf = '';
    let chain = Promise.resolve();
    s.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { execute: string };
        buf = buf.slice(nl + 1);
        seen.push(msg.execute);
        const a = answers[msg.execute];
        const line =
          a instanceof Error ? JSON.stringify({ error: { class: 'GenericError', desc: a.message } }) : JSON.stringify({ return: a ?? {} });
        // An event first, and the reply in two pieces.
        chain = chain.then(async () => {
          s.write('{"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}}\n');
          s.write(line.slice(0, 5));
          await new Promise((r) => setTimeout(r, 5));
          s.write(line.slice(5) + '\n');
        });
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, r));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  return { path, seen };
}

test('QMP: negotiates capabilities and runs commands in order', async (t) => {
  const q = await fakeQmp(t, { 'query-status': { status: 'running', running: true, singlestep: false }, stop: {} });
  const client = await QmpClient.connect(q.path);
  try {
    const [st] = await Promise.all([client.queryStatus(), client.execute('stop')]);
    assert.deepEqual(st, { status: 'running', running: true, singlestep: false });
    assert.deepEqual(q.seen, ['qmp_capabilities', 'query-status', 'stop']);
    assert.ok(client.events.some((e) => e.event === 'RESUME'));
  } finally {
    client.close();
  }
});

test('QMP: an error reply rejects with QmpError', async (t) => {
  const q = await fakeQmp(t, { cont: new Error('guest is shut down') });
  await assert.rejects(
    withQmp(q.path, (c) => c.execute('cont')),
    (e: unknown) => e instanceof QmpError && /guest is shut down/.test(e.message),
  );
});

test('QMP: connecting to a missing socket fails', async () => {
  await assert.rejects(QmpClient.connect('/nonexistent/qmp.sock', 500));
});

test('QMP: a server that never greets times out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'qmp-'));
  const path = join(dir, 's');
  const sockets = new Set<Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(path, r));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  await assert.rejects(QmpClient.connect(path, 200), /no greeting/);
});
