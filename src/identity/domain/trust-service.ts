import { badRequest, forbidden, notFound, unauthorized } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { readJson, writeJson, bool } from '../store/json.js';
import { TrustStore, type TrustRecord } from '../store/trust-store.js';
import { parseExpiry } from './app-credential-service.js';
import type { AssignmentService } from './assignment-service.js';
import type { IdentityContext } from './identity-context.js';
import type { Role } from './models.js';
import type { ResourceService } from './resource-service.js';
import type { RoleService } from './role-service.js';
import type { UserService } from './user-service.js';

export interface Trust {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ` or null. */
  expiresAt: string | null;
  remainingUses: number | null;
  allowRedelegation: boolean;
  redelegationCount: number | null;
  roles: Role[];
  extra: Record<string, unknown>;
}

/** What a trust-scoped token needs of its trust. */
export type TrustFacts = Pick<
  Trust,
  'id' | 'trustorUserId' | 'trusteeUserId' | 'projectId' | 'impersonation' | 'expiresAt' | 'remainingUses'
> & {
  roleIds: string[];
};

export interface TrustInput {
  trustor_user_id: string;
  trustee_user_id: string;
  impersonation: boolean;
  project_id?: string | null;
  roles?: { id?: string; name?: string; domain_id?: string | null }[];
  expires_at?: string | null;
  remaining_uses?: number | null;
  allow_redelegation?: boolean | null;
  redelegation_count?: number | null;
  [extra: string]: unknown;
}

/** The caller creating a trust, from its token. */
export interface Trustor {
  userId: string;
  /** The token is itself trust-scoped (redelegation is not supported). */
  viaTrust: boolean;
  /** The token came from a restricted application credential. */
  viaRestrictedAppCred: boolean;
}

/** Keystone's [trust] max_redelegation_count default. */
const MAX_REDELEGATION_COUNT = 3;
const KNOWN = new Set([
  'id',
  'trustor_user_id',
  'trustee_user_id',
  'impersonation',
  'project_id',
  'roles',
  'expires_at',
  'remaining_uses',
  'allow_redelegation',
  'redelegation_count',
  'redelegated_trust_id',
  'deleted_at',
  'links',
  'roles_links',
]);

export const trustNotFound = (id: string) => notFound(`Could not find trust: ${id}.`, 'trust_not_found');

const expired = (r: { expires_at: string | null }, now = Date.now()): boolean => r.expires_at !== null && Date.parse(r.expires_at) <= now;

/** OS-TRUST: a trustor delegates some of its roles on a project to a trustee. */
export class TrustService {
  readonly #store: TrustStore;
  readonly #ctx: IdentityContext;

  constructor(
    ctx: IdentityContext,
    private readonly deps: { users: UserService; roles: RoleService; assignments: AssignmentService; resources: ResourceService },
  ) {
    this.#ctx = ctx;
    this.#store = new TrustStore(ctx.db);
  }

  async create(by: Trustor, input: TrustInput): Promise<Trust> {
    if (by.viaRestrictedAppCred) {
      throw forbidden(
        "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing trusts.",
      );
    }
    // Redelegation is not implemented: a trust-scoped token cannot delegate further.
    if (by.viaTrust) throw forbidden('You are not authorized to perform the requested action: redelegation of trusts is not supported.');
    if (by.userId !== input.trustor_user_id) {
      throw forbidden('You are not authorized to perform the requested action: The authenticated user should match the trustor.');
    }
    const projectId = input.project_id ?? null;
    const refs = input.roles ?? [];
    if (projectId && refs.length === 0) throw badRequest('At least one role should be specified.', 'validation_error');
    if (!projectId && refs.length > 0) throw badRequest('Roles can only be delegated on a project.', 'validation_error');
    await this.deps.users.get(input.trustee_user_id);
    const roleIds: string[] = [];
    for (const ref of refs) {
      const role = ref.id
        ? await this.deps.roles.find(ref.id)
        : ref.name
          ? await this.deps.roles.findByName(ref.name, ref.domain_id ?? null)
          : undefined;
      if (!role) throw notFound(`Could not find role: ${ref.id ?? ref.name ?? ''}.`, 'role_not_found');
      if (!roleIds.includes(role.id)) roleIds.push(role.id);
    }
    if (projectId) {
      const project = await this.deps.resources.getProject(projectId);
      const held = new Set((await this.deps.assignments.rolesOnProject(by.userId, project)).map((r) => r.id));
      const missing = roleIds.find((id) => !held.has(id));
      if (missing) throw forbidden(`You are not authorized to perform the requested action: trustor does not have role ${missing}.`);
    }
    const expiresAt = input.expires_at ? parseExpiry(input.expires_at) : null;
    const allowRedelegation = input.allow_redelegation ?? false;
    const remainingUses = input.remaining_uses ?? null;
    let redelegationCount: number | null = 0;
    if (allowRedelegation) {
      if (remainingUses !== null) {
        throw badRequest('remaining_uses must not be set if redelegation is allowed.', 'validation_error');
      }
      redelegationCount = input.redelegation_count ?? MAX_REDELEGATION_COUNT;
      if (redelegationCount > MAX_REDELEGATION_COUNT) {
        throw forbidden(`Specified redelegation depth of ${redelegationCount} is out of allowed range of [0..${MAX_REDELEGATION_COUNT}].`);
      }
    }
    const record: TrustRecord = {
      id: newId(),
      trustor_user_id: input.trustor_user_id,
      trustee_user_id: input.trustee_user_id,
      project_id: projectId,
      impersonation: input.impersonation ? 1 : 0,
      expires_at: expiresAt,
      remaining_uses: remainingUses,
      allow_redelegation: allowRedelegation ? 1 : 0,
      redelegation_count: redelegationCount,
      deleted_at: null,
      extra: writeJson(Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k)))),
      roleIds,
    };
    await this.#store.insert(record);
    return this.#view(record);
  }

  /** A live trust (not deleted, expired or used up), as Keystone's get_trust. */
  async get(id: string): Promise<Trust> {
    const r = await this.#store.get(id);
    if (!r || expired(r) || (r.remaining_uses !== null && r.remaining_uses <= 0)) throw trustNotFound(id);
    return this.#view(r);
  }

  /** Trust facts for policy targets of an existing trust, undefined when there is none. */
  async find(id: string): Promise<Trust | undefined> {
    const r = await this.#store.get(id);
    return r && this.#view(r);
  }

  async list(filter: { trustorUserId?: string; trusteeUserId?: string }): Promise<Trust[]> {
    const now = Date.now();
    const rows = (await this.#store.list(filter)).filter((r) => !expired(r, now));
    return Promise.all(rows.map((r) => this.#view(r)));
  }

  async delete(id: string): Promise<void> {
    const r = await this.#store.get(id);
    if (!r) throw trustNotFound(id);
    await this.#store.softDelete(id, new Date().toISOString());
    // Tokens of the trust look it up when validated: drop cached validations.
    this.#ctx.revision.bump();
  }

  async userDeleted(userId: string): Promise<void> {
    const ids = await this.#store.softDeleteForUser(userId, new Date().toISOString());
    if (ids.length > 0) this.#ctx.revision.bump();
  }

  /** For token validation: a trust that is not deleted (expiry is checked by the caller). */
  async facts(id: string): Promise<TrustFacts | undefined> {
    const r = await this.#store.get(id);
    return r && this.#facts(r);
  }

  /**
   * For authentication with a trust scope: a usable trust, then one use is
   * taken once the token is issued. Every failure is the same 401.
   */
  async usable(id: string): Promise<TrustFacts> {
    const r = await this.#store.get(id);
    if (!r || expired(r) || (r.remaining_uses !== null && r.remaining_uses <= 0)) throw unauthorized(`Could not find trust: ${id}.`);
    return this.#facts(r);
  }

  async consume(t: TrustFacts): Promise<void> {
    if (t.remainingUses === null) return;
    if (!(await this.#store.consumeUse(t.id))) throw unauthorized(`Could not find trust: ${t.id}.`);
  }

  #facts(r: TrustRecord): TrustFacts {
    return {
      id: r.id,
      trustorUserId: r.trustor_user_id,
      trusteeUserId: r.trustee_user_id,
      projectId: r.project_id,
      impersonation: bool(r.impersonation),
      expiresAt: r.expires_at,
      remainingUses: r.remaining_uses,
      roleIds: r.roleIds,
    };
  }

  async #view(r: TrustRecord): Promise<Trust> {
    const roles = r.roleIds.length > 0 ? await this.deps.roles.list({ ids: r.roleIds }) : [];
    const { roleIds: _roleIds, ...facts } = this.#facts(r);
    return {
      ...facts,
      allowRedelegation: bool(r.allow_redelegation),
      redelegationCount: r.redelegation_count,
      roles,
      extra: readJson(r.extra),
    };
  }
}
