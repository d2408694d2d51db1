/**
 * The noVNC proxy against small fake VNC servers: it serves the client,
 * relays binary frames both ways only for valid tokens and only to the
 * token's own server, enforces frame limits and tears both sides down.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startConsoleProxy, type ConsoleProxy } from '../../src/compute/console/console-proxy.js';
import { CONSOLE_POLICY } from '../../src/compute/domain/console-policy.js';
import { ConsoleService } from '../../src/compute/domain/console-service.js';
import { COMPUTE_POLICY } from '../../src/compute/domain/policy-defaults.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import type { Database } from '../../src/lib/db/database.js';
import { createLogger } from '../../src/lib/log.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { FakeConsoleTargets, openConsoleDatabase } from './console-fixtures.js';

const RFB_VERSION = Buffer.from('RFB 003.008\n');

/** A VNC-like server: greets with its RFB version, records what it gets, echoes it back prefixed with its name. */
class FakeVnc {
  server!: Server;
  port = 0;
  received: Buffer[] = [];
  sockets: Socket[] = [];
  closed = 0;
  constructor(readonly name: string) {}
  async start(): Promise<void> {
    this.server = createServer((s) => {
      this.sockets.push(s);
      s.write(RFB_VERSION);
      s.on('data', (d) => {
        this.received.push(d);
        s.write(Buffer.concat([Buffer.from(`${this.name}:`), d]));
      });
      s.on('error', () => {});
      s.on('close', () => this.closed++);
    });
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.port = (this.server.address() as { port: number }).port;
  }
  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

/** Waits for `n` binary messages, then returns them. */
function messages(ws: WebSocket, n: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  return new Promise((ok, fail) => {
    const onMessage = (d: Buffer) => {
      got.push(d);
      if (got.length === n) {
        ws.off('message', onMessage);
        ok(got);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => fail(new Error(`closed with ${code} after ${got.length} messages`)));
  });
}
const closed = (ws: WebSocket) => new Promise<number>((ok) => ws.once('close', (code) => ok(code)));
const opened = (ws: WebSocket) =>
  new Promise<void>((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Sends a raw upgrade request (as Tempest's create_websocket does) and returns what comes back until the server closes or 1 s passes. */
function rawUpgrade(port: number, path: string, extra = ''): Promise<string> {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      s.destroy();
      ok(data);
    };
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('close', done);
    s.on('error', done);
    setTimeout(done, 1000);
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n${extra}\r\n`,
    );
  });
}

describe('console proxy', () => {
  let dir: string;
  let database: Database<ComputeDB>;
  let bus: InProcessBus;
  let consoles: ConsoleService;
  let proxy: ConsoleProxy;
  const vncA = new FakeVnc('A');
  const vncB = new FakeVnc('B');
  const MAX_FRAME = 4096;
  const token = (vnc: FakeVnc | number, instanceUuid = 'uuid-a') =>
    consoles.authorize({ instanceUuid, consoleType: 'novnc', host: '127.0.0.1', port: typeof vnc === 'number' ? vnc : vnc.port });
  const ws = (t: string, opts: { path?: string; origin?: string } = {}) =>
    new WebSocket(`ws://127.0.0.1:${proxy.port}${opts.path ?? `/?token=${encodeURIComponent(t)}`}`, ['binary'], {
      origin: opts.origin,
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kumo-console-proxy-'));
    database = await openConsoleDatabase(`sqlite:${join(dir, 'compute.db')}`);
    bus = new InProcessBus();
    proxy = await startConsoleProxy({
      tokens: {
        validate: (t) => consoles.validate(t),
      },
      listenHost: '127.0.0.1',
      port: 0,
      publicHost: '127.0.0.1',
      logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      maxFrameBytes: MAX_FRAME,
      connectTimeoutMs: 2000,
    });
    consoles = new ConsoleService({
      db: database.db,
      bus,
      targets: new FakeConsoleTargets(),
      policy: new PolicyEngine({ ...COMPUTE_POLICY, ...CONSOLE_POLICY }),
      novncBaseUrl: () => proxy.novncBaseUrl,
    });
    await vncA.start();
    await vncB.start();
  });
  after(async () => {
    await proxy?.close();
    await vncA.stop();
    await vncB.stop();
    await bus?.close();
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exposes its bound URL', () => {
    assert.ok(proxy.port > 0);
    assert.equal(proxy.url, `http://127.0.0.1:${proxy.port}`);
    assert.equal(proxy.novncBaseUrl, `${proxy.url}/vnc_lite.html`);
  });

  it('serves the noVNC page and noVNC modules with JavaScript content types, nothing else', async () => {
    const page = await fetch(`${proxy.url}/vnc_lite.html?path=%3Ftoken%3Dabc`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    // What Tempest's test_novnc checks of the page.
    assert.match(html, /<html.*>/);
    for (const s of ['</html>', 'noVNC', '<script']) assert.ok(html.includes(s), s);
    assert.equal((await fetch(`${proxy.url}/vnc.html`)).status, 200);
    for (const path of ['/kumo-console.js', '/core/rfb.js', '/core/util/logging.js', '/vendor/pako/lib/zlib/inflate.js']) {
      const r = await fetch(`${proxy.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8', path);
      assert.ok((await r.text()).length > 100, path);
    }
    assert.match(await (await fetch(`${proxy.url}/kumo-console.js`)).text(), /from '\.\/core\/rfb\.js'/);
    for (const path of [
      '/core/../package.json',
      '/core/%2e%2e/package.json',
      '/package.json',
      '/core/rfb.js.map',
      '/vendor/pako/README.md',
      '/etc/passwd',
      '/',
    ]) {
      assert.equal((await fetch(`${proxy.url}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${proxy.url}/vnc_lite.html`, { method: 'POST' })).status, 405);
  });

  it('relays the RFB handshake both ways over the binary subprotocol', async () => {
    const client = ws(await token(vncA));
    const first = messages(client, 1);
    await opened(client);
    assert.equal(client.protocol, 'binary');
    assert.deepEqual((await first)[0], RFB_VERSION);
    const echo = messages(client, 1);
    client.send(RFB_VERSION);
    assert.equal(String((await echo)[0]), `A:${RFB_VERSION.toString()}`);
    assert.deepEqual(vncA.received.at(-1), RFB_VERSION);
    const before = vncA.closed;
    client.close();
    await until(() => vncA.closed === before + 1);
  });

  it('accepts the request Tempest sends (GET /?token=..., no Origin) and the token inside noVNC’s path parameter', async () => {
    const t = await token(vncA);
    const response = await rawUpgrade(proxy.port, `/?token=${t}`, 'Cookie: path=%3Ftoken%3Dx\r\n');
    assert.match(response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(response.toLowerCase(), /upgrade: websocket/);
    assert.match(response.toLowerCase(), /sec-websocket-protocol: binary/);
    // The first frame (binary, unmasked) carries the RFB version.
    assert.ok(response.includes('RFB 003.008'));
    const viaPath = ws(t, { path: `/websockify?path=${encodeURIComponent(`?token=${t}`)}` });
    const greeting = messages(viaPath, 1);
    assert.deepEqual((await greeting)[0], RFB_VERSION);
    viaPath.close();
  });

  it('refuses bad, expired or missing tokens at the upgrade with an empty 403 and never reaches a VNC server', async () => {
    const connections = vncA.sockets.length + vncB.sockets.length;
    const t = await token(vncA);
    for (const path of [`/?token=bad${t}`, '/?token=', '/', `/?token=${'x'.repeat(5000)}`, '/?path=%3Ftoken%3Dnope']) {
      const response = await rawUpgrade(proxy.port, path);
      assert.match(response, /^HTTP\/1\.1 403 Forbidden\r\n/, path);
      assert.ok(response.endsWith('\r\n\r\n'), 'no body a websocket client could take for data');
    }
    await consoles.revoke(t);
    assert.match(await rawUpgrade(proxy.port, `/?token=${t}`), /^HTTP\/1\.1 403/);
    const client = ws('bad');
    client.on('error', () => {});
    const status = await new Promise<number>((ok) =>
      client.once('unexpected-response', (req, res) => {
        ok(res.statusCode ?? 0);
        req.destroy();
      }),
    );
    assert.equal(status, 403);
    assert.equal(vncA.sockets.length + vncB.sockets.length, connections);
    // The proxy is still there.
    assert.equal((await fetch(`${proxy.url}/vnc_lite.html`)).status, 200);
  });

  it('refuses a browser page from another origin', async () => {
    const t = await token(vncA);
    assert.match(await rawUpgrade(proxy.port, `/?token=${t}`, 'Origin: http://evil.example\r\n'), /^HTTP\/1\.1 403/);
    const same = ws(t, { origin: `http://127.0.0.1:${proxy.port}` });
    assert.deepEqual((await messages(same, 1))[0], RFB_VERSION);
    same.close();
  });

  it('connects each token to its own server only', async () => {
    const a = ws(await token(vncA, 'uuid-a'));
    const b = ws(await token(vncB, 'uuid-b'));
    await Promise.all([messages(a, 1), messages(b, 1)]);
    const [ra, rb] = [messages(a, 1), messages(b, 1)];
    a.send(Buffer.from('to-a'));
    b.send(Buffer.from('to-b'));
    assert.equal(String((await ra)[0]), 'A:to-a');
    assert.equal(String((await rb)[0]), 'B:to-b');
    assert.ok(!vncA.received.some((d) => d.toString().includes('to-b')));
    assert.ok(!vncB.received.some((d) => d.toString().includes('to-a')));
    a.close();
    b.close();
  });

  it('closes the browser side when the VNC server goes away, and the VNC side when a frame is too large or not binary', async () => {
    let client = ws(await token(vncB));
    await messages(client, 1);
    const byServer = closed(client);
    vncB.sockets.at(-1)!.destroy();
    assert.equal(await byServer, 1000);

    const before = vncA.closed;
    client = ws(await token(vncA));
    await messages(client, 1);
    const tooBig = closed(client);
    client.send(Buffer.alloc(MAX_FRAME + 1));
    assert.equal(await tooBig, 1009);
    await until(() => vncA.closed === before + 1);

    client = ws(await token(vncA));
    await messages(client, 1);
    const text = closed(client);
    client.send('RFB 003.008\n');
    assert.equal(await text, 1003);
    await until(() => vncA.closed === before + 2);
  });

  it('closes the websocket with 1011 when the VNC server cannot be reached', async () => {
    const gone = new FakeVnc('gone');
    await gone.start();
    const port = gone.port;
    await gone.stop();
    const client = ws(await token(port));
    assert.equal(await closed(client), 1011);
  });

  it('survives abrupt clients and keeps serving', async () => {
    for (let i = 0; i < 5; i++) {
      const s = connect(proxy.port, '127.0.0.1');
      s.on('error', () => {});
      s.write(`GET /?token=${await token(vncA)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`);
      s.destroy();
      const half = connect(proxy.port, '127.0.0.1');
      half.on('error', () => {});
      half.end('GARBAGE\r\n\r\n');
    }
    const client = ws(await token(vncA));
    assert.deepEqual((await messages(client, 1))[0], RFB_VERSION);
    client.close();
  });
});
