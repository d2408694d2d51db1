import { KumoError, badRequest, forbidden, unauthorized } from '../../lib/errors.js';
import type { AssignmentService } from './assignment-service.js';
import type { IdentityContext } from './identity-context.js';
import type { Domain, User } from './models.js';
import type { ResourceService } from './resource-service.js';
import type { TokenPayload } from './token-format.js';
import type { AppCredentialFacts, TokenData, TokenService } from './token-service.js';
import type { TrustFacts } from './trust-service.js';
import type { UserService } from './user-service.js';

interface NameOrId {
  id?: string;
  name?: string;
  domain?: NameOrId;
}

/** The `auth` object of POST /v3/auth/tokens (already schema-validated). */
export interface AuthRequest {
  identity: {
    methods: string[];
    password?: { user: NameOrId & { password: string } };
    token?: { id: string };
    application_credential?: { id?: string; name?: string; secret: string; user?: NameOrId };
  };
  scope?: 'unscoped' | { project?: NameOrId; domain?: NameOrId; system?: { all?: boolean }; 'OS-TRUST:trust'?: { id?: string } };
}

/** Finds the trust of a trust scope and takes one use of it. */
export interface TrustAuthenticator {
  /** A usable trust, or a 401. */
  usable(id: string): Promise<TrustFacts>;
  /** Takes one use once the token is issued; a 401 when none is left. */
  consume(trust: TrustFacts): Promise<void>;
}

/** Verifies an application credential secret and returns its facts. */
export interface AppCredentialAuthenticator {
  authenticate(ref: { id?: string; name?: string; userId?: string }, secret: string): Promise<AppCredentialFacts>;
}

interface Identified {
  user: User;
  methods: string[];
  /** Set when authenticating with a token: the new token cannot outlive it. */
  parent?: TokenData;
  appCred?: AppCredentialFacts;
}

/** POST /v3/auth/tokens: who the caller is (methods), what they ask for (scope), and the token. */
export class AuthService {
  readonly #ctx: IdentityContext;

  constructor(
    ctx: IdentityContext,
    private readonly deps: {
      users: UserService;
      resources: ResourceService;
      assignments: AssignmentService;
      tokens: TokenService;
      appCreds: AppCredentialAuthenticator;
      trusts: TrustAuthenticator;
    },
  ) {
    this.#ctx = ctx;
  }

  async authenticate(req: AuthRequest): Promise<TokenData> {
    const who = await this.#identify(req.identity);
    const trust = await this.#trust(who, req.scope);
    const scope: TokenPayload['scope'] = trust
      ? trust.projectId
        ? { kind: 'project', id: trust.projectId }
        : { kind: 'unscoped' }
      : await this.#scope(who, req.scope);
    const now = Date.now();
    let expiresAt = now + this.#ctx.config.tokenExpiration * 1000;
    if (who.parent) expiresAt = Math.min(expiresAt, who.parent.payload.expiresAt);
    if (who.appCred?.expiresAt) expiresAt = Math.min(expiresAt, Date.parse(who.appCred.expiresAt));
    // A trust-scoped token does not outlive its trust.
    if (trust?.expiresAt) expiresAt = Math.min(expiresAt, Date.parse(trust.expiresAt));
    const own = this.deps.tokens.newAuditId();
    const auditIds = who.parent ? [own, who.parent.payload.auditIds[who.parent.payload.auditIds.length - 1] ?? own] : [own];
    const payload: TokenPayload = {
      userId: who.user.id,
      methods: who.methods,
      scope,
      expiresAt,
      issuedAt: now,
      auditIds,
      ...(who.appCred ? { appCredId: who.appCred.id } : {}),
      ...(trust ? { trustId: trust.id } : {}),
    };
    let data: TokenData;
    try {
      data = await this.deps.tokens.issue(payload);
    } catch (e) {
      if (e instanceof KumoError && e.status === 404) throw unauthorized();
      throw e;
    }
    // A use is only taken for a token actually issued.
    if (trust) await this.deps.trusts.consume(trust);
    return data;
  }

  /** The trust of an `OS-TRUST:trust` scope, checked against who authenticated; undefined for other scopes. */
  async #trust(who: Identified, scope: AuthRequest['scope']): Promise<TrustFacts | undefined> {
    if (scope === undefined || scope === 'unscoped' || scope['OS-TRUST:trust'] === undefined) return undefined;
    if (scope.project !== undefined || scope.domain !== undefined || scope.system !== undefined) {
      throw badRequest('Specify exactly one of project, domain, system or OS-TRUST:trust as the scope.');
    }
    const id = scope['OS-TRUST:trust'].id;
    if (!id) throw badRequest("Invalid input for field 'scope.OS-TRUST:trust': an id is required.");
    if (who.appCred) throw forbidden('Application credentials cannot request a trust-scoped token.');
    const trust = await this.deps.trusts.usable(id);
    // Keystone: only the trustee may consume a trust.
    if (trust.trusteeUserId !== who.user.id) {
      throw forbidden('You are not authorized to perform the requested action: the user is not the trustee.');
    }
    return trust;
  }

  async #identify(identity: AuthRequest['identity']): Promise<Identified> {
    const methods = [...new Set(identity.methods)];
    if (methods.length === 0) throw badRequest("Invalid input for field 'identity.methods': at least one method is required.");
    let found: Identified | undefined;
    const merge = (next: Identified): void => {
      if (found && found.user.id !== next.user.id) throw unauthorized('User IDs from authentication methods do not match.');
      found = { ...found, ...next, methods };
    };
    for (const m of methods) {
      if (m === 'password') {
        if (!identity.password) throw badRequest("Invalid input for field 'identity.password': required by method password.");
        const ref = identity.password.user;
        const user = await this.#findUser(ref);
        if (!user) throw unauthorized();
        await this.#requireEnabled(user);
        await this.deps.users.checkPassword(user, ref.password);
        merge({ user, methods });
      } else if (m === 'token') {
        if (!identity.token) throw badRequest("Invalid input for field 'identity.token': required by method token.");
        let parent: TokenData;
        try {
          parent = await this.deps.tokens.validate(identity.token.id);
        } catch (e) {
          // Keystone answers TokenNotFound (404) for an unknown or revoked token here.
          if (e instanceof KumoError && e.status === 404) throw e;
          throw unauthorized();
        }
        if (parent.appCred) throw forbidden('Application credential tokens cannot be rescoped.');
        if (parent.payload.trustId) throw forbidden('Trust-scoped tokens cannot be rescoped.');
        merge({ user: parent.user, methods, parent });
      } else if (m === 'application_credential') {
        const ac = identity.application_credential;
        if (!ac) throw badRequest("Invalid input for field 'identity.application_credential': required by method application_credential.");
        let userId: string | undefined;
        if (!ac.id) {
          if (!ac.user) throw badRequest('An application credential referenced by name needs its user.');
          const u = await this.#findUser(ac.user);
          if (!u) throw unauthorized();
          userId = u.id;
        }
        const facts = await this.deps.appCreds.authenticate({ id: ac.id, name: ac.name, userId }, ac.secret);
        const user = await this.deps.users.find(facts.userId);
        if (!user) throw unauthorized();
        await this.#requireEnabled(user);
        merge({ user, methods, appCred: facts });
      } else {
        throw unauthorized(`Attempted to authenticate with an unsupported method: ${m}.`);
      }
    }
    if (!found) throw unauthorized();
    // A rescoped token keeps the methods that proved the identity in the first place.
    if (found.parent) found = { ...found, methods: [...new Set([...found.parent.payload.methods, ...methods])] };
    return found;
  }

  async #findUser(ref: NameOrId): Promise<User | undefined> {
    if (ref.id) return this.deps.users.find(ref.id);
    if (!ref.name) throw badRequest("Invalid input for field 'user': an id or a name with a domain is required.");
    if (!ref.domain) throw badRequest("Invalid input for field 'user': a user referenced by name needs its domain.");
    const domain = await this.#findDomain(ref.domain);
    if (!domain) return undefined;
    return this.deps.users.findByName(domain.id, ref.name);
  }

  async #findDomain(ref: NameOrId): Promise<Domain | undefined> {
    if (ref.id) return this.deps.resources.findDomain(ref.id);
    if (ref.name) return this.deps.resources.findDomainByName(ref.name);
    throw badRequest("Invalid input for field 'domain': an id or a name is required.");
  }

  async #requireEnabled(user: User): Promise<void> {
    if (!user.enabled) throw unauthorized();
    const d = await this.deps.resources.findDomain(user.domainId);
    if (!d || !d.enabled) throw unauthorized();
  }

  async #scope(who: Identified, scope: AuthRequest['scope']): Promise<TokenPayload['scope']> {
    const { resources, assignments } = this.deps;
    if (who.appCred) {
      // An application credential always yields a token on its own project.
      const pid = who.appCred.projectId;
      if (!pid) return { kind: 'system' };
      if (scope && scope !== 'unscoped' && scope.project) {
        const p = await this.#findProject(scope.project);
        if (!p || p.id !== pid) throw unauthorized('Application credentials can only be used for their own project.');
      }
      return { kind: 'project', id: pid };
    }
    if (scope === undefined) {
      // Like Keystone: with no scope asked, use the default project when the user has a role there.
      if (who.parent) return who.parent.payload.scope.kind === 'unscoped' ? { kind: 'unscoped' } : who.parent.payload.scope;
      const pid = who.user.defaultProjectId;
      if (pid) {
        const p = await resources.findProject(pid);
        if (p && p.enabled && (await assignments.rolesOnProject(who.user.id, p)).length > 0) return { kind: 'project', id: p.id };
      }
      return { kind: 'unscoped' };
    }
    if (scope === 'unscoped') return { kind: 'unscoped' };
    const kinds = [scope.project, scope.domain, scope.system].filter((x) => x !== undefined).length;
    if (kinds !== 1) throw badRequest('Specify exactly one of project, domain or system as the scope.');
    if (scope.project) {
      const p = await this.#findProject(scope.project);
      if (!p) throw unauthorized(`Could not find project: ${scope.project.id ?? scope.project.name}.`);
      if (!p.enabled) throw unauthorized(`Project ${p.id} is disabled.`);
      const d = await resources.findDomain(p.domainId);
      if (!d || !d.enabled) throw unauthorized(`Domain ${p.domainId} is disabled.`);
      if ((await assignments.rolesOnProject(who.user.id, p)).length === 0) {
        throw unauthorized(`User ${who.user.id} has no access to project ${p.id}.`);
      }
      return { kind: 'project', id: p.id };
    }
    if (scope.domain) {
      const d = await this.#findDomain(scope.domain);
      if (!d) throw unauthorized(`Could not find domain: ${scope.domain.id ?? scope.domain.name}.`);
      if (!d.enabled) throw unauthorized(`Domain ${d.id} is disabled.`);
      if ((await assignments.rolesOnDomain(who.user.id, d.id)).length === 0) {
        throw unauthorized(`User ${who.user.id} has no access to domain ${d.id}.`);
      }
      return { kind: 'domain', id: d.id };
    }
    if (!scope.system?.all) throw badRequest('Invalid input for field \'scope.system\': only {"all": true} is supported.');
    if ((await assignments.rolesOnSystem(who.user.id)).length === 0) {
      throw unauthorized(`User ${who.user.id} has no access to the system.`);
    }
    return { kind: 'system' };
  }

  async #findProject(ref: NameOrId) {
    if (ref.id) return this.deps.resources.findProject(ref.id);
    if (!ref.name || !ref.domain) throw badRequest("Invalid input for field 'project': an id or a name with a domain is required.");
    const d = await this.#findDomain(ref.domain);
    return d ? this.deps.resources.findProjectByName(d.id, ref.name) : undefined;
  }
}
