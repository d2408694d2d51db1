import { KumoError } from '../errors.js';
import type { ServiceSession } from './service-session.js';

export interface ServiceResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ServiceRequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Statuses the caller handles itself; any other status rejects with `upstream_error`. Default: 2xx. */
  expect?: number[];
  /** Raw body (e.g. an image upload stream); sent instead of `body`. */
  raw?: RequestInit['body'];
  signal?: AbortSignal;
}

/**
 * JSON over HTTP to another Kumo/OpenStack service found in the catalog,
 * authenticated with the service session's token (renewed once on a 401).
 * `microversion` is sent as `OpenStack-API-Version: <serviceType> <v>`.
 */
export class ServiceClient {
  readonly #session: ServiceSession;
  readonly #serviceType: string;
  readonly #microversion: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(session: ServiceSession, serviceType: string, opts: { microversion?: string; fetch?: typeof fetch } = {}) {
    this.#session = session;
    this.#serviceType = serviceType;
    this.#microversion = opts.microversion;
    this.#fetch = opts.fetch ?? fetch;
  }

  get session(): ServiceSession {
    return this.#session;
  }

  /** Sends a request and parses a JSON answer (undefined body for empty answers). */
  async request<T = unknown>(method: string, path: string, opts: ServiceRequestOptions = {}): Promise<ServiceResponse<T>> {
    const res = await this.fetchRaw(method, path, opts);
    const text = await res.text();
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const ok = opts.expect ? opts.expect.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) {
      throw new KumoError(
        'upstream_error',
        res.status >= 500 ? 502 : res.status,
        `${this.#serviceType} answered ${res.status} to ${method} ${path}: ${text.slice(0, 500)}`,
      );
    }
    return { status: res.status, headers: res.headers, body: body as T };
  }

  /** The raw Response (for streaming downloads); the caller reads or cancels the body. */
  async fetchRaw(method: string, path: string, opts: ServiceRequestOptions = {}, retry = true): Promise<Response> {
    const base = await this.#session.endpoint(this.#serviceType);
    const headers: Record<string, string> = { 'x-auth-token': await this.#session.token(), accept: 'application/json', ...opts.headers };
    if (this.#microversion) headers['openstack-api-version'] = `${this.#serviceType} ${this.#microversion}`;
    let body: RequestInit['body'] | undefined = opts.raw;
    if (body === undefined && opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    let res: Response;
    try {
      res = await this.#fetch(`${base}${path}`, {
        method,
        headers,
        body,
        signal: opts.signal,
        ...(opts.raw !== undefined ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      throw new KumoError('upstream_unavailable', 503, `${this.#serviceType} unreachable: ${(e as Error).message}`);
    }
    if (res.status === 401 && retry && opts.raw === undefined) {
      await res.body?.cancel();
      this.#session.invalidate();
      return this.fetchRaw(method, path, opts, false);
    }
    return res;
  }
}
