/**
 * Kumo's dashboard (Horizon's job): the single-page app built from
 * `dashboard/` by Vite, and `/api/<service>/…`, the app's same-origin way to
 * the public APIs (see ApiProxy). It holds no state and no credentials of its
 * own: every API call carries the signed-in user's token.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../lib/log.js';
import { ApiProxy } from './api-proxy.js';

export interface DashboardServerOptions {
  logger: Logger;
  /** Identity's v3 URL, read per request (in `kumo up` it is known only once identity listens). */
  identityUrl: () => string;
  region: string;
  /** The built app (default: dashboard/dist of this package). */
  assetsDir?: string;
}

export interface DashboardServer {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** dashboard/dist from src/dashboard (tsx) or dist/dashboard (built). */
export function defaultAssetsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard', 'dist');
}

/** Whether the app is built (a checkout that ran only tsc has no dashboard/dist). */
export function dashboardBuilt(assetsDir = defaultAssetsDir()): boolean {
  return existsSync(join(assetsDir, 'index.html'));
}

const SERVICE = /^\/api\/([a-z0-9-]+)(\/.*)?$/s;

export async function createDashboardServer(opts: DashboardServerOptions): Promise<DashboardServer> {
  const root = opts.assetsDir ?? defaultAssetsDir();
  const app = Fastify({
    loggerInstance: opts.logger.child({ service: 'dashboard' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const proxy = new ApiProxy({ identityUrl: opts.identityUrl, region: opts.region });

  // The proxy streams bodies (image uploads): in its scope fastify neither parses nor buffers them.
  await app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', (_req, _payload, done) => done(null));
    api.all('/api/*', async (req, reply) => {
      const m = SERVICE.exec(req.url);
      reply.hijack();
      if (!m) {
        reply.raw.writeHead(404, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: 404, title: 'Not Found', message: 'No such service.' } }));
        return;
      }
      await proxy.forward(m[1]!, m[2] ?? '/', req.raw, reply.raw).catch((e: unknown) => {
        req.log.warn({ err: e }, 'dashboard proxy failed');
        if (!reply.raw.headersSent) reply.raw.writeHead(502, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: 502, title: 'Bad Gateway', message: 'The service did not answer.' } }));
      });
    });
  });

  if (!dashboardBuilt(root)) {
    throw new Error(`the dashboard is not built (${root}/index.html is missing): run npm run build`);
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    index: false,
    setHeaders: (res, path) => {
      // Vite names every asset after its content hash: cached for a year; the page itself is always revalidated.
      if (path.includes(`${join(root, 'assets')}/`)) res.header('Cache-Control', 'public, max-age=31536000, immutable');
      else res.header('Cache-Control', 'no-cache');
      res.header('X-Content-Type-Options', 'nosniff');
    },
  });
  // Every other path is a page of the app (client-side routing): the app's shell.
  const shell = (_req: unknown, reply: FastifyReply) =>
    reply
      .header('Cache-Control', 'no-cache')
      .header('X-Frame-Options', 'DENY')
      // Only the app's own scripts; API calls to its own origin; frames are the VNC consoles of the console proxy.
      .header(
        'Content-Security-Policy',
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-src http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      )
      .header('Referrer-Policy', 'no-referrer')
      .sendFile('index.html');
  app.get('/', shell);
  app.setNotFoundHandler((req, reply) => {
    if (req.method !== 'GET' || /\.[a-z0-9]+$/i.test(req.url.split('?')[0]!)) {
      return reply.code(404).type('text/plain').send('Not found');
    }
    return shell(req, reply);
  });
  return { app, close: () => app.close() };
}
