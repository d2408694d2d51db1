/**
 * End to end in a real browser: QEMU's VNC server (SeaBIOS on the VGA
 * screen), a token from ConsoleService, the proxy, and noVNC in headless
 * Chromium drawing the guest's screen. Saves docs/images/console-novnc.png.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startConsoleProxy } from '../../src/compute/console/console-proxy.js';
import { CONSOLE_POLICY } from '../../src/compute/domain/console-policy.js';
import { ConsoleService, novncUrl } from '../../src/compute/domain/console-service.js';
import { COMPUTE_POLICY } from '../../src/compute/domain/policy-defaults.js';
import { InProcessBus } from '../../src/lib/bus/in-process-bus.js';
import { createLogger } from '../../src/lib/log.js';
import { PolicyEngine } from '../../src/lib/policy/policy-engine.js';
import { CHROMIUM, launchBrowser, viewConsole } from '../support/novnc-browser.js';
import { FakeConsoleTargets, openConsoleDatabase } from './console-fixtures.js';

const QEMU = 'qemu-system-x86_64';
const SCREENSHOT = join(import.meta.dirname, '../../docs/images/console-novnc.png');
const missing = [CHROMIUM, '/usr/bin/qemu-system-x86_64'].filter((p) => !existsSync(p));
// CI must run this test: setup installs both.
const skip = missing.length > 0 && !process.env.CI ? `not installed: ${missing.join(', ')}` : false;

/** A TCP port above 5900 that is free right now (QEMU takes a display number, port - 5900). */
async function freeVncPort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    if (port > 5900) return port;
  }
}

async function waitForPort(port: number, child: ChildProcess, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`QEMU exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((ok) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        ok(true);
      });
      s.once('error', () => ok(false));
    });
    if (up) return;
    if (Date.now() > end) throw new Error(`QEMU VNC did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('noVNC console in a browser', { skip }, () => {
  it('shows the QEMU guest screen through the proxy', { timeout: 180_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kumo-console-e2e-'));
    t.after(() => rm(dir, { recursive: true, force: true }));

    const vncPort = await freeVncPort();
    const qemu = spawn(
      QEMU,
      [
        '-accel',
        'tcg',
        '-m',
        '64',
        '-nodefaults',
        '-no-user-config',
        '-display',
        'none',
        '-vga',
        'std',
        '-vnc',
        `127.0.0.1:${vncPort - 5900}`,
        '-nic',
        'none',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let qemuErr = '';
    qemu.stderr?.on('data', (d) => (qemuErr += String(d)));
    t.after(() => {
      if (qemu.pid !== undefined && qemu.exitCode === null) process.kill(qemu.pid, 'SIGKILL');
    });
    await waitForPort(vncPort, qemu, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${qemuErr}`);
    });

    const database = await openConsoleDatabase(`sqlite:${join(dir, 'compute.db')}`);
    t.after(() => database.close());
    const bus = new InProcessBus();
    t.after(() => bus.close());
    // The service builds URLs from the proxy's address, the proxy checks tokens with the service.
    const consoles: ConsoleService = new ConsoleService({
      db: database.db,
      bus,
      targets: new FakeConsoleTargets(),
      policy: new PolicyEngine({ ...COMPUTE_POLICY, ...CONSOLE_POLICY }),
      novncBaseUrl: () => proxy.novncBaseUrl,
    });
    const proxy = await startConsoleProxy({
      tokens: consoles,
      listenHost: '127.0.0.1',
      port: 0,
      publicHost: '127.0.0.1',
      logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    });
    t.after(() => proxy.close());
    const token = await consoles.authorize({ instanceUuid: 'e2e-guest', consoleType: 'novnc', host: '127.0.0.1', port: vncPort });
    const url = novncUrl(proxy.novncBaseUrl, token);

    // Tempest's test_novnc negotiation, frame by frame, against QEMU through the proxy.
    const rfb = new WebSocket(`ws://127.0.0.1:${proxy.port}/?token=${token}`, ['binary']);
    const frames: Buffer[] = [];
    let wake: (() => void) | undefined;
    rfb.on('message', (d: Buffer) => {
      frames.push(d);
      wake?.();
    });
    const next = async (): Promise<Buffer> => {
      while (frames.length === 0) await new Promise<void>((ok) => (wake = ok));
      return frames.shift()!;
    };
    const version = await next();
    assert.match(version.toString(), /^RFB 003\.00[38]\n$/);
    rfb.send(version);
    const security = await next();
    assert.ok([...security.subarray(1, 1 + security[0]!)].includes(1), 'security type None offered');
    rfb.send(Buffer.from([1]));
    assert.deepEqual([...(await next())], [0, 0, 0, 0]);
    rfb.send(Buffer.from([1]));
    const init = await next();
    assert.equal(init.length, 24 + init.readUInt32BE(20));
    rfb.close();

    const browser = await launchBrowser();
    t.after(() => browser.close());
    // SeaBIOS writes text on the VGA screen; let it finish its boot messages before the picture.
    const view = await viewConsole(browser, url, { screenshot: SCREENSHOT, settleMs: 3000 });
    assert.ok(view.colours >= 2, `the console canvas stayed uniform (${view.colours} colour)`);
    assert.deepEqual(view.pageErrors, []);
    assert.match(view.status, /^Connected to QEMU/);

    // A forged token gets no screen: the upgrade is refused and the page says so.
    const forged = await browser.context.newPage();
    await forged.goto(novncUrl(proxy.novncBaseUrl, `bad${token}`));
    await forged.waitForSelector('body[data-state="disconnected"]', { timeout: 30_000 });
  });
});
