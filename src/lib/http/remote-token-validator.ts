import { passwordAuthBody, type PasswordCredentials } from '../clients/password-auth.js';
import { createHash } from 'node:crypto';
import { KumoError, unauthorized } from '../errors.js';
import type { AuthContext, TokenValidator } from './auth-context.js';

export type ServiceCredentials = PasswordCredentials;

export interface RemoteTokenValidatorConfig {
  /** `http://keystone:5000/v3` */
  identityUrl: string;
  service: ServiceCredentials;
  /** How long a validation result is trusted (keystonemiddleware's token_cache_time). */
  cacheSeconds: number;
  fetch?: typeof fetch;
}

interface TokenBody {
  token: {
    methods: string[];
    user: { id: string; name: string; domain: { id: string; name: string } };
    project?: { id: string; name: string; domain: { id: string; name: string } };
    domain?: { id: string; name: string };
    system?: { all?: boolean };
    roles?: { id: string; name: string }[];
    audit_ids: string[];
    expires_at: string;
    issued_at: string;
    application_credential?: { id: string };
    is_admin_project?: boolean;
  };
}

/**
 * Validates tokens against a remote identity service, as keystonemiddleware
 * does for a service that does not share Keystone's process: a service token
 * authorizes the lookups and results are cached for a bounded time.
 */
export class RemoteTokenValidator implements TokenValidator {
  readonly #config: Readonly<RemoteTokenValidatorConfig>;
  readonly #cache = new Map<string, { until: number; ctx: AuthContext }>();
  #serviceToken: { token: string; until: number } | undefined;

  constructor(config: RemoteTokenValidatorConfig) {
    this.#config = Object.freeze({ ...config, identityUrl: config.identityUrl.replace(/\/+$/, '') });
  }

  async validate(token: string): Promise<AuthContext> {
    // Cache keys are hashes: a heap dump must not yield usable tokens.
    const key = createHash('sha256').update(token).digest('base64url');
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.ctx;
    const ctx = await this.#lookup(token, true);
    const until = Math.min(now + this.#config.cacheSeconds * 1000, ctx.expiresAt.getTime());
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(key, { until, ctx });
    return ctx;
  }

  async #lookup(token: string, retry: boolean): Promise<AuthContext> {
    const f = this.#config.fetch ?? fetch;
    const service = await this.#service();
    const res = await f(`${this.#config.identityUrl}/auth/tokens?nocatalog`, {
      headers: { 'x-auth-token': service, 'x-subject-token': token },
    });
    if (res.status === 200) return toContext(token, (await res.json()) as TokenBody);
    if (res.status === 401 && retry) {
      // Our service token expired or was revoked: get a new one once.
      this.#serviceToken = undefined;
      return this.#lookup(token, false);
    }
    if (res.status === 404 || res.status === 401) throw unauthorized();
    throw new KumoError('identity_unavailable', 503, `Identity service answered ${res.status} while validating a token.`);
  }

  async #service(): Promise<string> {
    if (this.#serviceToken && this.#serviceToken.until > Date.now()) return this.#serviceToken.token;
    const s = this.#config.service;
    const f = this.#config.fetch ?? fetch;
    const res = await f(`${this.#config.identityUrl}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: passwordAuthBody(s),
    });
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      throw new KumoError('identity_unavailable', 503, `Service authentication failed with status ${res.status}.`);
    }
    const body = (await res.json()) as TokenBody;
    // Renew a minute early so a lookup never races the expiry.
    this.#serviceToken = { token, until: Date.parse(body.token.expires_at) - 60_000 };
    return token;
  }
}

function toContext(token: string, body: TokenBody): AuthContext {
  const t = body.token;
  return {
    token,
    userId: t.user.id,
    userName: t.user.name,
    userDomainId: t.user.domain.id,
    userDomainName: t.user.domain.name,
    ...(t.project
      ? {
          projectId: t.project.id,
          projectName: t.project.name,
          projectDomainId: t.project.domain.id,
          projectDomainName: t.project.domain.name,
        }
      : {}),
    ...(t.domain ? { domainId: t.domain.id, domainName: t.domain.name } : {}),
    ...(t.system?.all ? { system: 'all' as const } : {}),
    roles: t.roles ?? [],
    methods: t.methods,
    auditIds: t.audit_ids,
    expiresAt: new Date(t.expires_at),
    issuedAt: new Date(t.issued_at),
    isAdminProject: t.is_admin_project ?? true,
    ...(t.application_credential ? { applicationCredentialId: t.application_credential.id } : {}),
  };
}
