import { badRequest, conflict, forbidden, notFound, unauthorized } from '../../lib/errors.js';
import { newId, newSecret } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { hashPassword, verifyPassword } from '../../lib/crypto/password-hasher.js';
import { AppCredentialStore, type AppCredRecord } from '../store/app-credential-store.js';
import { bool } from '../store/json.js';
import type { AssignmentService } from './assignment-service.js';
import type { IdentityContext } from './identity-context.js';
import type { RoleRef } from './models.js';
import type { ResourceService } from './resource-service.js';
import type { RoleService } from './role-service.js';
import type { AppCredentialFacts } from './token-service.js';

export interface AppCredential {
  id: string;
  name: string;
  userId: string;
  projectId: string | null;
  description: string | null;
  expiresAt: string | null;
  unrestricted: boolean;
  roles: RoleRef[];
  /** Only on creation: the secret is shown once and stored hashed. */
  secret?: string;
}

export interface AppCredentialInput {
  name: string;
  description?: string | null;
  secret?: string | null;
  expires_at?: string | null;
  unrestricted?: boolean;
  roles?: { id?: string; name?: string; domain_id?: string | null }[];
}

const KEYSTONE_INVALID =
  'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

/**
 * An `expires_at` as Keystone reads it (UTC unless told otherwise), kept to
 * the microsecond: Keystone stores microseconds and clients compare the
 * value they get back with the one they sent.
 */
export function parseExpiry(raw: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(raw.trim());
  const whole = m ? Date.parse(`${m[1]}T${m[2]}${(m[4] ?? 'Z').toUpperCase()}`) : NaN;
  if (!m || Number.isNaN(whole)) throw badRequest(`Timestamp not in expected format. ${KEYSTONE_INVALID}`, 'validation_error');
  const micros = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  const at = `${new Date(whole).toISOString().slice(0, 19)}.${micros}Z`;
  if (Date.parse(at) <= Date.now()) throw badRequest(`The 'expires_at' must not be before now. ${KEYSTONE_INVALID}`, 'validation_error');
  return at;
}

/** The caller creating an application credential: it delegates from the caller's current token. */
export interface Delegator {
  userId: string;
  projectId?: string;
  roles: RoleRef[];
  /** The token itself came from an application credential. */
  viaAppCred: boolean;
  /** An unrestricted app-cred token may create more. */
  viaUnrestrictedAppCred: boolean;
}

/** Application credentials: per-user secrets that authenticate as the user on one project with chosen roles. */
export class AppCredentialService {
  readonly #store: AppCredentialStore;
  readonly #ctx: IdentityContext;

  constructor(
    ctx: IdentityContext,
    private readonly deps: { roles: RoleService; assignments: AssignmentService; resources: ResourceService },
  ) {
    this.#ctx = ctx;
    this.#store = new AppCredentialStore(ctx.db);
  }

  async create(by: Delegator, input: AppCredentialInput): Promise<AppCredential> {
    if (by.viaAppCred && !by.viaUnrestrictedAppCred) {
      throw forbidden('Using method application_credential is not allowed for managing additional application credentials.');
    }
    if (!by.projectId) throw badRequest('Application credentials can only be created with a project-scoped token.');
    const expiresAt = input.expires_at ? parseExpiry(input.expires_at) : null;
    // Roles default to all the roles of the token; asking for one the token lacks is invalid input (as Keystone).
    let roleIds = by.roles.map((r) => r.id);
    if (input.roles && input.roles.length > 0) {
      roleIds = [];
      for (const ref of input.roles) {
        let id = ref.id;
        if (!id) {
          const role = ref.name ? await this.deps.roles.findByName(ref.name, ref.domain_id ?? null) : undefined;
          if (!role) throw notFound(`Could not find role: ${ref.name}.`, 'role_not_found');
          id = role.id;
        }
        if (!by.roles.some((r) => r.id === id)) {
          throw badRequest(
            'Invalid application credential: Cannot create an application credential with unassigned role',
            'validation_error',
          );
        }
        roleIds.push(id);
      }
    }
    const secret = input.secret || newSecret(64);
    const record: AppCredRecord = {
      id: newId(),
      name: input.name,
      user_id: by.userId,
      project_id: by.projectId,
      system: null,
      secret_hash: await hashPassword(secret),
      description: input.description ?? null,
      expires_at: expiresAt,
      unrestricted: input.unrestricted ? 1 : 0,
      created_at: new Date().toISOString(),
      roleIds: [...new Set(roleIds)],
    };
    await failOnDuplicate(this.#store.insert(record), () =>
      conflict(
        `Conflict occurred attempting to store application_credential - Duplicate entry found with name ${input.name}.`,
        'app_cred_conflict',
      ),
    );
    this.#ctx.revision.bump();
    return { ...(await this.#view(record)), secret };
  }

  async get(userId: string, id: string): Promise<AppCredential> {
    const r = await this.#store.get(id);
    if (!r || r.user_id !== userId) throw notFound(`Could not find Application Credential: ${id}.`, 'app_cred_not_found');
    return this.#view(r);
  }

  async list(userId: string, name?: string): Promise<AppCredential[]> {
    return Promise.all((await this.#store.listForUser(userId, name)).map((r) => this.#view(r)));
  }

  async delete(userId: string, id: string): Promise<void> {
    await this.get(userId, id);
    await this.#store.delete(id);
    this.#ctx.revision.bump();
  }

  async userDeleted(userId: string): Promise<void> {
    await this.#store.deleteForUser(userId);
  }

  /** For the token service. */
  async find(id: string): Promise<AppCredentialFacts | undefined> {
    const r = await this.#store.get(id);
    return r && this.#facts(r);
  }

  /** For the application_credential auth method: every failure is the same 401. */
  async authenticate(ref: { id?: string; name?: string; userId?: string }, secret: string): Promise<AppCredentialFacts> {
    const r = ref.id
      ? await this.#store.get(ref.id)
      : ref.userId && ref.name
        ? await this.#store.getByName(ref.userId, ref.name)
        : undefined;
    if (!r) throw unauthorized();
    if (!(await verifyPassword(secret, r.secret_hash))) throw unauthorized();
    if (r.expires_at && Date.parse(r.expires_at) <= Date.now()) throw unauthorized('The application credential has expired.');
    return this.#facts(r);
  }

  #facts(r: AppCredRecord): AppCredentialFacts {
    return {
      id: r.id,
      name: r.name,
      userId: r.user_id,
      projectId: r.project_id,
      roleIds: r.roleIds,
      expiresAt: r.expires_at,
      unrestricted: bool(r.unrestricted),
    };
  }

  async #view(r: AppCredRecord): Promise<AppCredential> {
    const roles = await this.deps.roles.list({ ids: r.roleIds });
    return {
      id: r.id,
      name: r.name,
      userId: r.user_id,
      projectId: r.project_id,
      description: r.description,
      expiresAt: r.expires_at,
      unrestricted: bool(r.unrestricted),
      roles: roles.map((x) => ({ id: x.id, name: x.name })),
    };
  }
}
