/**
 * The dashboard's way to the public APIs: `/api/<service type>/<path>` is
 * forwarded, streamed both ways, to that service's public endpoint in the
 * signed-in user's own service catalog, with the user's own token. The
 * browser thus talks to one origin (no CORS), and the proxy can reach only
 * what the catalog lists — it is not an open relay.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Request headers the APIs read; everything else (cookies, the browser's own) stays behind. */
const FORWARD_REQUEST = [
  'accept',
  'content-type',
  'content-length',
  'x-auth-token',
  'x-subject-token',
  'openstack-api-version',
  'x-openstack-nova-api-version',
  'x-openstack-request-id',
  'x-image-meta-checksum',
];
/** Response headers the dashboard reads (X-Subject-Token is the new token of a sign-in). */
const FORWARD_RESPONSE = [
  'content-type',
  'content-length',
  'x-subject-token',
  'x-openstack-request-id',
  'openstack-api-version',
  'x-openstack-nova-api-version',
  'location',
];

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

export interface ApiProxyOptions {
  /** Identity's v3 URL (`http://host:5000/v3`). */
  identityUrl: () => string;
  region: string;
  /** How long a user's catalog is reused (ms). */
  catalogTtlMs?: number;
  timeoutMs?: number;
}

export class ApiProxy {
  readonly #o: ApiProxyOptions;
  readonly #catalogs = new Map<string, { expires: number; entries: CatalogEntry[] }>();

  constructor(opts: ApiProxyOptions) {
    this.#o = opts;
  }

  /** Forwards `req` (its URL already stripped to `/<rest>`) to `service`; answers 4xx itself when it cannot. */
  async forward(service: string, rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = header(req, 'x-auth-token');
    let base: string | undefined;
    if (service === 'identity') base = this.#o.identityUrl().replace(/\/v3\/?$/, '');
    else if (!token) return fail(res, 401, 'Sign in first: this request carries no token.');
    else {
      const entries = await this.#catalog(token);
      if (!entries) return fail(res, 401, 'The session has expired: sign in again.');
      base = this.#endpoint(entries, service);
      if (!base) return fail(res, 404, `This cloud has no ${service} service in its catalog.`);
    }
    await this.#pipe(new URL(base.replace(/\/$/, '') + rest), req, res);
  }

  #endpoint(entries: CatalogEntry[], type: string): string | undefined {
    const svc = entries.find((e) => e.type === type);
    const eps = svc?.endpoints.filter((e) => e.interface === 'public') ?? [];
    return (eps.find((e) => (e.region_id ?? e.region) === this.#o.region) ?? eps[0])?.url;
  }

  async #catalog(token: string): Promise<CatalogEntry[] | undefined> {
    const now = Date.now();
    const cached = this.#catalogs.get(token);
    if (cached && cached.expires > now) return cached.entries;
    const r = await fetch(`${this.#o.identityUrl()}/auth/catalog`, {
      headers: { 'X-Auth-Token': token, Accept: 'application/json' },
      signal: AbortSignal.timeout(this.#o.timeoutMs ?? 30_000),
    }).catch(() => undefined);
    if (!r?.ok) return undefined;
    const entries = ((await r.json()) as { catalog: CatalogEntry[] }).catalog;
    if (this.#catalogs.size >= 1000) for (const [k, v] of this.#catalogs) if (v.expires <= now) this.#catalogs.delete(k);
    if (this.#catalogs.size >= 1000) this.#catalogs.clear();
    this.#catalogs.set(token, { expires: now + (this.#o.catalogTtlMs ?? 60_000), entries });
    return entries;
  }

  #pipe(target: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {};
    for (const h of FORWARD_REQUEST) {
      const v = header(req, h);
      if (v !== undefined) headers[h] = v;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((done) => {
      const up = send(target, { method: req.method, headers, timeout: this.#o.timeoutMs ?? 30_000 }, (answer) => {
        const out: Record<string, string | string[]> = { 'cache-control': 'no-store' };
        for (const h of FORWARD_RESPONSE) {
          const v = answer.headers[h];
          if (v !== undefined) out[h] = v;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.once('end', () => done());
        answer.once('error', () => (res.destroy(), done()));
      });
      up.once('timeout', () => up.destroy(new Error('timeout')));
      up.once('error', (e) => {
        if (!res.headersSent) fail(res, 502, `The ${target.host} service did not answer: ${e.message}`);
        else res.destroy();
        done();
      });
      // A browser that gives up (an upload cancelled) ends the upstream request too.
      req.once('aborted', () => up.destroy());
      req.pipe(up);
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The fault body the dashboard reads from any service: `{"error": {"code", "message"}}` (Keystone's shape). */
function fail(res: ServerResponse, code: number, message: string): void {
  const title = code === 401 ? 'Unauthorized' : code === 404 ? 'Not Found' : 'Bad Gateway';
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: { code, title, message } }));
}
