import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { dirname, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../lib/log.js';
import type { ConsoleConnectInfo } from '../domain/console-service.js';
import { CONSOLE_PAGE_HTML, CONSOLE_PAGE_SCRIPT } from './console-page.js';

/** The part of ConsoleService the proxy needs. */
export interface ConsoleTokenValidator {
  validate(token: unknown): Promise<ConsoleConnectInfo | undefined>;
}

export interface ConsoleProxyOptions {
  tokens: ConsoleTokenValidator;
  /** Address to listen on (config.host). */
  listenHost: string;
  /** 0 lets the kernel pick. */
  port: number;
  /** Host name clients reach the proxy by (config.publicHost). */
  publicHost: string;
  logger: Logger;
  /** Largest websocket message accepted from a browser (RFB client messages are tiny). */
  maxFrameBytes?: number;
  connectTimeoutMs?: number;
  maxConnections?: number;
  /** Root of the @novnc/novnc package (default: the installed one). */
  novncDir?: string;
}

export interface ConsoleProxy {
  /** `http://<publicHost>:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Base of console URLs handed to users: `<url>/vnc_lite.html`. */
  readonly novncBaseUrl: string;
  close(): Promise<void>;
}

/** Pages Nova deployments serve noVNC under; all get our page. */
const PAGE_PATHS = new Set(['/vnc_lite.html', '/vnc.html', '/vnc_auto.html']);
const SCRIPT_PATH = '/kumo-console.js';
/** noVNC's ES modules: only .js files under core/ and vendor/ are served. */
const MODULE_PATH = /^\/(?:core|vendor)\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.js$/;

const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  // The URL holds a bearer token: no inline or foreign scripts, websockets only to ourselves.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
};

const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 512 * 1024;

function defaultNovncDir(): string {
  // The package's only export is core/rfb.js; its root is two levels up.
  return dirname(dirname(createRequire(import.meta.url).resolve('@novnc/novnc')));
}

/** The console token of a websocket request: `?token=`, a noVNC `?path=?token=`, or websockify's `token` cookie. */
export function consoleTokenOf(req: IncomingMessage): string | undefined {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://proxy');
  } catch {
    return undefined;
  }
  const direct = url.searchParams.get('token');
  if (direct) return direct;
  const path = url.searchParams.get('path');
  if (path) {
    const inner = new URLSearchParams(path.slice(path.indexOf('?') + 1)).get('token');
    if (inner) return inner;
  }
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'token' && v.length > 0) return v.join('=');
  }
  return undefined;
}

/** A browser's Origin must name the host it reached us by (as Nova's proxy checks), so other sites cannot drive a console. */
function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const o = new URL(origin);
    const h = new URL(`http://${req.headers.host ?? ''}`);
    return (o.protocol === 'http:' || o.protocol === 'https:') && o.hostname === h.hostname;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, reason: string): void {
  // No body: a websocket client must see nothing it could take for RFB data.
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

/**
 * noVNC proxy (Nova's nova-novncproxy): serves the noVNC client and relays
 * each websocket whose console token is valid to the VNC server the token
 * was issued for, and nowhere else. Binary frames only ("binary"
 * subprotocol, as websockify).
 */
export async function startConsoleProxy(opts: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const log = opts.logger.child({ service: 'console-proxy' });
  const novncDir = resolve(opts.novncDir ?? defaultNovncDir());
  const maxFrameBytes = opts.maxFrameBytes ?? 256 * 1024;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const maxConnections = opts.maxConnections ?? 512;
  const sessions = new Set<{ ws: WebSocket; tcp: Socket }>();
  let pendingUpgrades = 0;
  const moduleCache = new Map<string, Buffer>();

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    perMessageDeflate: false,
    // websockify's "binary"; offering nothing is fine too (no subprotocol).
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, headers: Record<string, string>, body: string | Buffer) => {
      res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }, 'Method Not Allowed\n');
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://proxy').pathname;
    } catch {
      return send(400, { 'Content-Type': 'text/plain' }, 'Bad Request\n');
    }
    if (PAGE_PATHS.has(pathname)) return send(200, { ...PAGE_HEADERS, 'Content-Type': 'text/html; charset=utf-8' }, CONSOLE_PAGE_HTML);
    if (pathname === SCRIPT_PATH)
      return send(200, { ...PAGE_HEADERS, 'Content-Type': 'text/javascript; charset=utf-8' }, CONSOLE_PAGE_SCRIPT);
    if (MODULE_PATH.test(pathname) && !pathname.includes('..')) {
      const file = resolve(novncDir, `.${pathname}`);
      if (file.startsWith(novncDir + sep)) {
        let body = moduleCache.get(file);
        if (!body) {
          body = await readFile(file).catch(() => undefined);
          if (body) moduleCache.set(file, body);
        }
        if (body) {
          return send(
            200,
            {
              'Content-Type': 'text/javascript; charset=utf-8',
              'Cache-Control': 'public, max-age=3600',
              'X-Content-Type-Options': 'nosniff',
            },
            body,
          );
        }
      }
    }
    send(404, { 'Content-Type': 'text/plain' }, 'Not Found\n');
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (sessions.size + pendingUpgrades >= maxConnections) return refuse(socket, 503, 'Service Unavailable');
    if (!originAllowed(req)) return refuse(socket, 403, 'Forbidden');
    pendingUpgrades++;
    let info: ConsoleConnectInfo | undefined;
    try {
      info = await opts.tokens.validate(consoleTokenOf(req));
    } catch (e) {
      log.error({ err: e }, 'console token lookup failed');
      return refuse(socket, 503, 'Service Unavailable');
    } finally {
      pendingUpgrades--;
    }
    if (!info || info.consoleType !== 'novnc') {
      log.info({ remote: req.socket.remoteAddress }, 'console connection refused: invalid or expired token');
      return refuse(socket, 403, 'Forbidden');
    }
    if (socket.destroyed) return;
    const target = info;
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, target, req.socket.remoteAddress));
  }

  function relay(ws: WebSocket, info: ConsoleConnectInfo, remote: string | undefined): void {
    // A path: the guest's VNC unix socket on this host (vnc_listen = unix, e.g. an agent inside a namespace).
    const tcp = info.host.startsWith('/') ? connect({ path: info.host }) : connect({ host: info.host, port: info.port });
    const session = { ws, tcp };
    sessions.add(session);
    log.info({ instance: info.instanceUuid, remote }, 'console connection opened');
    let connected = false;
    let paused = false;
    const early: Buffer[] = [];
    let earlyBytes = 0;
    const timer = setTimeout(() => tcp.destroy(new Error('connect timeout')), connectTimeoutMs);

    let done = false;
    const finish = (code: number, reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sessions.delete(session);
      tcp.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        ws.close(code, reason);
        // A peer that never answers the close handshake is cut off.
        setTimeout(() => ws.terminate(), 2000).unref();
      }
      log.info({ instance: info.instanceUuid, remote, code, reason }, 'console connection closed');
    };

    tcp.setNoDelay(true);
    tcp.on('connect', () => {
      clearTimeout(timer);
      connected = true;
      for (const b of early) tcp.write(b);
      early.length = 0;
    });
    tcp.on('data', (chunk: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(chunk, { binary: true }, () => {
        if (paused && ws.bufferedAmount < LOW_WATER) {
          paused = false;
          tcp.resume();
        }
      });
      // A slow browser must not make us buffer a whole framebuffer stream.
      if (!paused && ws.bufferedAmount > HIGH_WATER) {
        paused = true;
        tcp.pause();
      }
    });
    tcp.on('error', (e) => {
      log.warn({ instance: info.instanceUuid, err: e.message }, 'console VNC connection failed');
      finish(1011, 'VNC server connection failed');
    });
    tcp.on('close', () => finish(1000, 'VNC server closed the connection'));

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return finish(1003, 'binary frames only');
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!connected) {
        earlyBytes += buf.length;
        if (earlyBytes > maxFrameBytes) return finish(1008, 'too much data before the VNC server answered');
        early.push(buf);
        return;
      }
      if (!tcp.write(buf)) {
        ws.pause();
        tcp.once('drain', () => ws.resume());
      }
    });
    ws.on('error', (e) => {
      log.info({ instance: info.instanceUuid, err: e.message }, 'console websocket error');
      finish(1011, 'websocket error');
      ws.terminate();
    });
    ws.on('close', () => finish(1000, 'client closed'));
  }

  const server: Server = createServer((req, res) => {
    serveHttp(req, res).catch((e: unknown) => {
      log.error({ err: e }, 'console proxy request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(req, socket, head).catch((e: unknown) => {
      log.error({ err: e }, 'console upgrade failed');
      socket.destroy();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.listenHost, () => {
      server.off('error', fail);
      ok();
    });
  });
  const port = (server.address() as { port: number }).port;
  const host = opts.publicHost.includes(':') && !opts.publicHost.startsWith('[') ? `[${opts.publicHost}]` : opts.publicHost;
  const url = `http://${host}:${port}`;
  log.info({ url }, 'console proxy listening');

  return {
    url,
    port,
    novncBaseUrl: `${url}/vnc_lite.html`,
    async close() {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      for (const s of sessions) {
        s.tcp.destroy();
        s.ws.terminate();
      }
      sessions.clear();
      server.closeAllConnections();
      wss.close();
      await closed;
    },
  };
}
