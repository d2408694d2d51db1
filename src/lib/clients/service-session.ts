import { passwordAuthBody } from './password-auth.js';
import { KumoError } from '../errors.js';

/** Credentials of a service user (Kumo's own `service_auth.*` or the all-in-one service user). */
export interface ServiceSessionConfig {
  /** `http://host:5000/v3` */
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  /** Catalog interface to use: `public` (default) or `internal`. */
  interface?: 'public' | 'internal' | 'admin';
  region?: string;
  fetch?: typeof fetch;
}

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; region_id?: string; region?: string; url: string }[];
}

/**
 * A project-scoped token for a service user, renewed before it expires, and
 * the catalog that came with it: how one Kumo service finds and calls another
 * (as keystoneauth's Session does for Nova calling Glance or Placement).
 */
export class ServiceSession {
  readonly #config: Readonly<ServiceSessionConfig>;
  #current: { token: string; until: number; catalog: CatalogEntry[] } | undefined;
  #pending: Promise<{ token: string; until: number; catalog: CatalogEntry[] }> | undefined;

  constructor(config: ServiceSessionConfig) {
    // Kept as given, not copied: `authUrl` may be a getter whose value is known only once identity listens.
    this.#config = config;
  }

  /** A valid token (issued once and shared by concurrent callers). */
  async token(): Promise<string> {
    return (await this.#auth()).token;
  }

  /** Drops the cached token, e.g. after a 401 from another service. */
  invalidate(): void {
    this.#current = undefined;
  }

  /** Base URL of `serviceType` from the catalog (`placement`, `image`, `compute`, ...). */
  async endpoint(serviceType: string): Promise<string> {
    const { catalog } = await this.#auth();
    const wanted = this.#config.interface ?? 'public';
    const entry = catalog.find((c) => c.type === serviceType);
    const ep = entry?.endpoints.find(
      (e) => e.interface === wanted && (!this.#config.region || (e.region_id ?? e.region) === this.#config.region),
    );
    if (!ep) throw new KumoError('endpoint_not_found', 503, `No ${wanted} endpoint of type ${serviceType} in the catalog.`);
    return ep.url.replace(/\/+$/, '');
  }

  async #auth(): Promise<{ token: string; until: number; catalog: CatalogEntry[] }> {
    if (this.#current && this.#current.until > Date.now()) return this.#current;
    this.#pending ??= this.#issue().finally(() => (this.#pending = undefined));
    this.#current = await this.#pending;
    return this.#current;
  }

  async #issue(): Promise<{ token: string; until: number; catalog: CatalogEntry[] }> {
    const c = this.#config;
    const f = c.fetch ?? fetch;
    let res: Response;
    try {
      res = await f(`${c.authUrl.replace(/\/+$/, '')}/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: passwordAuthBody(c),
      });
    } catch (e) {
      throw new KumoError('identity_unavailable', 503, `Identity service unreachable: ${(e as Error).message}`);
    }
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      throw new KumoError('identity_unavailable', 503, `Service authentication failed with status ${res.status}.`);
    }
    const body = (await res.json()) as { token: { expires_at: string; catalog?: CatalogEntry[] } };
    // Renew a minute early so a request never races the expiry.
    return { token, until: Date.parse(body.token.expires_at) - 60_000, catalog: body.token.catalog ?? [] };
  }
}
