import { randomBytes } from 'node:crypto';
import { KumoError, unauthorized } from '../../lib/errors.js';
import type { FernetKey } from '../../lib/crypto/fernet.js';
import type { FernetKeyRepository } from '../../lib/crypto/fernet-key-repository.js';
import type { AuthContext } from '../../lib/http/auth-context.js';
import { isoMicro } from '../../lib/time.js';
import type { AssignmentService } from './assignment-service.js';
import type { CatalogEntry, CatalogService } from './catalog-service.js';
import type { IdentityContext } from './identity-context.js';
import type { Domain, Project, RoleRef, User } from './models.js';
import type { ResourceService } from './resource-service.js';
import type { RevocationService } from './revocation-service.js';
import { openToken, sealToken, type TokenPayload } from './token-format.js';
import type { TrustFacts } from './trust-service.js';
import type { UserService } from './user-service.js';

/** The application credential facts a token needs. */
export interface AppCredentialFacts {
  id: string;
  name: string;
  userId: string;
  projectId: string | null;
  roleIds: string[];
  expiresAt: string | null;
  unrestricted: boolean;
}

export interface AppCredentialLookup {
  find(id: string): Promise<AppCredentialFacts | undefined>;
}

export interface TrustLookup {
  /** A trust that is not deleted, expired or not. */
  facts(id: string): Promise<TrustFacts | undefined>;
}

/** A validated token with everything loaded that its body shows. */
export interface TokenData {
  token: string;
  payload: TokenPayload;
  user: User;
  userDomain: Domain;
  project?: Project;
  projectDomain?: Domain;
  domain?: Domain;
  roles: RoleRef[];
  appCred?: AppCredentialFacts;
  /** On a trust-scoped token; `user` is then the trustor when the trust impersonates, else the trustee. */
  trust?: TrustFacts;
  isAdminProject: boolean;
}

export const tokenNotFound = (): KumoError => new KumoError('token_not_found', 404, 'Could not find token.');

const KEY_RELOAD_MS = 60_000;
/** About 2.3 KB per entry: 5,000 keeps the cache near 12 MB (docs/benchmarks.md). */
const CACHE_MAX = 5_000;

/**
 * Issues and validates Fernet tokens. A token holds who, how, scope and
 * times; roles and catalog are looked up when it is validated, so changes to
 * assignments apply at once. Validations are cached per identity revision.
 */
export class TokenService {
  readonly #ctx: IdentityContext;
  readonly #keys: FernetKeyRepository;
  #loaded: { primary: FernetKey; all: FernetKey[]; ids: number[]; at: number };
  readonly #cache = new Map<string, { rev: number; data: TokenData }>();
  /** Rendered bodies per validated token; TokenData objects live as long as their cache entry. */
  readonly #bodies = new WeakMap<TokenData, Map<boolean, Record<string, unknown>>>();

  constructor(
    ctx: IdentityContext,
    keys: FernetKeyRepository,
    private readonly deps: {
      users: UserService;
      resources: ResourceService;
      assignments: AssignmentService;
      catalog: CatalogService;
      revocations: RevocationService;
      appCreds: AppCredentialLookup;
      trusts: TrustLookup;
    },
  ) {
    this.#ctx = ctx;
    this.#keys = keys;
    this.#loaded = this.#readKeys();
  }

  /** Re-reads the key repository (after `kumo fernet rotate`). */
  reloadKeys(): void {
    const next = this.#readKeys();
    // A retired key must stop validating at once, cached validations included.
    if (next.ids.join(',') !== this.#loaded.ids.join(',')) this.#cache.clear();
    this.#loaded = next;
  }

  #readKeys(): { primary: FernetKey; all: FernetKey[]; ids: number[]; at: number } {
    const k = this.#keys.load();
    return { primary: k.primary, all: k.all, ids: k.ids, at: Date.now() };
  }

  newAuditId(): string {
    return randomBytes(16).toString('base64url');
  }

  /** Seals a payload into a token and validates it, so issue and validate agree on every check. */
  async issue(payload: TokenPayload): Promise<TokenData> {
    const token = sealToken(this.#loaded.primary, payload);
    return this.#load(token, payload, false);
  }

  /**
   * Validates a token. Every failure is a 404 "Could not find token" (as
   * Keystone answers for X-Subject-Token); X-Auth-Token callers map it to 401.
   */
  async validate(token: string, opts: { allowExpired?: boolean } = {}): Promise<TokenData> {
    // Another API process may have revoked tokens: a cached validation must not outlive that by more than a second.
    if (this.deps.revocations.syncDue) await this.deps.revocations.sync();
    const rev = this.#ctx.revision.value;
    const hit = this.#cache.get(token);
    if (hit && hit.rev === rev && (opts.allowExpired || hit.data.payload.expiresAt > Date.now())) {
      // Least recently used first: re-inserting moves a hit to the end.
      this.#cache.delete(token);
      this.#cache.set(token, hit);
      return hit.data;
    }
    if (Date.now() - this.#loaded.at > KEY_RELOAD_MS) this.reloadKeys();
    let payload = openToken(this.#loaded.all, token);
    if (!payload) {
      this.reloadKeys();
      payload = openToken(this.#loaded.all, token);
      if (!payload) throw tokenNotFound();
    }
    const data = await this.#load(token, payload, opts.allowExpired ?? false);
    this.#cache.delete(token);
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(token, { rev, data });
    return data;
  }

  async revoke(data: TokenData): Promise<void> {
    const auditId = data.payload.auditIds[0];
    if (auditId) await this.deps.revocations.revoke({ auditId });
  }

  async #load(token: string, payload: TokenPayload, allowExpired: boolean): Promise<TokenData> {
    const now = Date.now();
    if (payload.expiresAt <= now) {
      if (!allowExpired || payload.expiresAt + this.#ctx.config.allowExpiredWindow * 1000 <= now) throw tokenNotFound();
    }
    const { users, resources, assignments } = this.deps;
    const enabledUser = async (id: string): Promise<{ user: User; domain: Domain }> => {
      const user = await users.find(id);
      if (!user || !user.enabled) throw tokenNotFound();
      const domain = await resources.findDomain(user.domainId);
      if (!domain || !domain.enabled) throw tokenNotFound();
      return { user, domain };
    };
    let { user, domain: userDomain } = await enabledUser(payload.userId);
    let trust: TrustFacts | undefined;
    // The trust is looked up on every validation: deleting it (or its trustor) revokes its tokens.
    let trustor: User | undefined;
    if (payload.trustId) {
      trust = await this.deps.trusts.facts(payload.trustId);
      if (!trust || trust.trusteeUserId !== user.id) throw tokenNotFound();
      if (trust.expiresAt && Date.parse(trust.expiresAt) <= now) throw tokenNotFound();
      if (trust.projectId !== (payload.scope.kind === 'project' ? payload.scope.id : null)) throw tokenNotFound();
      const t = await enabledUser(trust.trustorUserId);
      trustor = t.user;
      if (trust.impersonation) ({ user, domain: userDomain } = t);
    }
    const data: TokenData = { token, payload, user, userDomain, roles: [], isAdminProject: true, ...(trust ? { trust } : {}) };
    const scope = payload.scope;
    if (scope.kind === 'project') {
      const project = await resources.findProject(scope.id);
      if (!project || !project.enabled) throw tokenNotFound();
      const projectDomain = await resources.findDomain(project.domainId);
      if (!projectDomain || !projectDomain.enabled) throw tokenNotFound();
      data.project = project;
      data.projectDomain = projectDomain;
      if (trust && trustor) {
        data.roles = await this.#trustRoles(trust, trustor, project);
      } else {
        data.roles = await assignments.rolesOnProject(user.id, project);
      }
    } else if (scope.kind === 'domain') {
      const domain = await resources.findDomain(scope.id);
      if (!domain || !domain.enabled) throw tokenNotFound();
      data.domain = domain;
      data.roles = await assignments.rolesOnDomain(user.id, domain.id);
    } else if (scope.kind === 'system') {
      data.roles = await assignments.rolesOnSystem(user.id);
    }
    if (payload.appCredId) {
      const ac = await this.deps.appCreds.find(payload.appCredId);
      if (!ac || ac.userId !== user.id) throw tokenNotFound();
      if (ac.expiresAt && Date.parse(ac.expiresAt) <= now) throw tokenNotFound();
      data.appCred = ac;
      // An application credential delegates at most the roles it was created with.
      const allowed = new Set(await assignments.effectiveRoles(ac.roleIds).then((r) => r.map((x) => x.id)));
      data.roles = data.roles.filter((r) => allowed.has(r.id));
    }
    if (scope.kind !== 'unscoped' && data.roles.length === 0) throw tokenNotFound();
    // Like Keystone, an event for the trustor or the trustee revokes a trust-scoped token too.
    const revoked = await this.#revoked(data, [...new Set([user.id, payload.userId, ...(trust ? [trust.trustorUserId] : [])])]);
    if (revoked) throw tokenNotFound();
    return data;
  }

  /**
   * The roles a trust-scoped token carries: the trust's roles with their
   * implied ones; if the trustor lost any of them the trust no longer holds (as Keystone).
   */
  async #trustRoles(trust: TrustFacts, trustor: User, project: Project): Promise<RoleRef[]> {
    const { assignments } = this.deps;
    const held = new Set((await assignments.rolesOnProject(trustor.id, project)).map((r) => r.id));
    const delegated = await assignments.effectiveRoles(trust.roleIds);
    if (delegated.some((r) => !held.has(r.id))) throw tokenNotFound();
    return delegated;
  }

  async #revoked(data: TokenData, userIds: string[]): Promise<boolean> {
    for (const userId of userIds) {
      if (await this.#revokedFor(data, userId)) return true;
    }
    return false;
  }

  #revokedFor(data: TokenData, userId: string): Promise<boolean> {
    const { payload, user } = data;
    return this.deps.revocations.isRevoked({
      userId,
      projectId: data.project?.id,
      domainIds: [user.domainId, ...(data.project ? [data.project.domainId] : []), ...(data.domain ? [data.domain.id] : [])],
      roles: data.roles,
      auditIds: payload.auditIds,
      issuedAt: payload.issuedAt,
    });
  }

  /** The `token` object of the API, as Keystone renders it (memoized per validation). */
  async body(data: TokenData, withCatalog: boolean): Promise<Record<string, unknown>> {
    let bodies = this.#bodies.get(data);
    const hit = bodies?.get(withCatalog);
    if (hit) return hit;
    const body = await this.#render(data, withCatalog);
    if (!bodies) this.#bodies.set(data, (bodies = new Map()));
    bodies.set(withCatalog, body);
    return body;
  }

  async #render(data: TokenData, withCatalog: boolean): Promise<Record<string, unknown>> {
    const p = data.payload;
    const t: Record<string, unknown> = {
      methods: p.methods,
      user: {
        id: data.user.id,
        name: data.user.name,
        domain: { id: data.userDomain.id, name: data.userDomain.name },
        password_expires_at: data.user.passwordExpiresAt ? isoMicro(new Date(data.user.passwordExpiresAt)) : null,
      },
      audit_ids: p.auditIds,
      expires_at: isoMicro(new Date(p.expiresAt)),
      issued_at: isoMicro(new Date(p.issuedAt)),
    };
    if (data.project && data.projectDomain) {
      t.project = { id: data.project.id, name: data.project.name, domain: { id: data.projectDomain.id, name: data.projectDomain.name } };
      t.is_domain = false;
    } else if (data.domain) {
      t.domain = { id: data.domain.id, name: data.domain.name };
    } else if (p.scope.kind === 'system') {
      t.system = { all: true };
    }
    if (p.scope.kind !== 'unscoped') {
      t.roles = data.roles.map((r) => ({ id: r.id, name: r.name }));
      if (withCatalog) t.catalog = await this.catalog(data);
    }
    if (data.trust) {
      t['OS-TRUST:trust'] = {
        id: data.trust.id,
        impersonation: data.trust.impersonation,
        trustee_user: { id: data.trust.trusteeUserId },
        trustor_user: { id: data.trust.trustorUserId },
      };
    }
    if (data.appCred) {
      t.application_credential = { id: data.appCred.id, name: data.appCred.name, restricted: !data.appCred.unrestricted };
    }
    return t;
  }

  catalog(data: TokenData): Promise<CatalogEntry[]> {
    return this.deps.catalog.catalog(data.project?.id);
  }

  /** The request context other services see for a validated token. */
  toAuthContext(data: TokenData): AuthContext {
    const scope = data.payload.scope;
    return {
      token: data.token,
      userId: data.user.id,
      userName: data.user.name,
      userDomainId: data.userDomain.id,
      userDomainName: data.userDomain.name,
      ...(data.project && data.projectDomain
        ? {
            projectId: data.project.id,
            projectName: data.project.name,
            projectDomainId: data.projectDomain.id,
            projectDomainName: data.projectDomain.name,
          }
        : {}),
      ...(data.domain ? { domainId: data.domain.id, domainName: data.domain.name } : {}),
      ...(scope.kind === 'system' ? { system: 'all' as const } : {}),
      roles: data.roles,
      methods: data.payload.methods,
      auditIds: data.payload.auditIds,
      expiresAt: new Date(data.payload.expiresAt),
      issuedAt: new Date(data.payload.issuedAt),
      isAdminProject: data.isAdminProject,
      ...(data.appCred ? { applicationCredentialId: data.appCred.id } : {}),
      ...(data.trust ? { trustId: data.trust.id } : {}),
    };
  }

  /** TokenValidator for X-Auth-Token: any failure is a 401. */
  asValidator(): { validate(token: string): Promise<AuthContext> } {
    return {
      validate: async (token: string) => {
        try {
          return this.toAuthContext(await this.validate(token));
        } catch (e) {
          if (e instanceof KumoError && e.status === 404) throw unauthorized();
          throw e;
        }
      },
    };
  }
}
