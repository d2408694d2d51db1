import { KumoError, badRequest, conflict, notFound, unauthorized } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import { UserStore, type UserFilter } from '../store/user-store.js';
import type { IdentityContext } from './identity-context.js';
import type { User, UserOptions } from './models.js';
import type { PasswordPolicy } from './password-policy.js';

export interface UserInput {
  name?: string;
  domain_id?: string;
  enabled?: boolean;
  default_project_id?: string | null;
  password?: string | null;
  options?: UserOptions;
  [extra: string]: unknown;
}

/** Called when a user is deleted or must lose its tokens. */
export interface UserHooks {
  userDeleted(userId: string): Promise<void>;
  revokeUserTokens(userId: string): Promise<void>;
}

const KNOWN = new Set(['id', 'name', 'domain_id', 'enabled', 'default_project_id', 'password', 'options', 'links', 'password_expires_at']);
const OPTION_KEYS = new Set([
  'ignore_change_password_upon_first_use',
  'ignore_password_expiry',
  'ignore_lockout_failure_attempts',
  'lock_password',
  'multi_factor_auth_enabled',
  'multi_factor_auth_rules',
  'ignore_user_inactivity',
]);

const pickExtra = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k)));

export const accountLocked = (id: string): KumoError => new KumoError('account_locked', 401, `The account is locked for user: ${id}.`);

/** Users, their passwords and the security-compliance rules around them. */
export class UserService {
  readonly #store: UserStore;
  readonly #ctx: IdentityContext;
  readonly #passwords: PasswordPolicy;
  #hooks: UserHooks | undefined;

  constructor(ctx: IdentityContext, passwords: PasswordPolicy) {
    this.#ctx = ctx;
    this.#store = new UserStore(ctx.db);
    this.#passwords = passwords;
  }

  setHooks(hooks: UserHooks): void {
    this.#hooks = hooks;
  }

  async get(id: string): Promise<User> {
    const u = await this.#store.get(id);
    if (!u) throw notFound(`Could not find user: ${id}.`, 'user_not_found');
    return u;
  }

  find(id: string): Promise<User | undefined> {
    return this.#store.get(id);
  }

  findByName(domainId: string, name: string): Promise<User | undefined> {
    return this.#store.getByName(domainId, name);
  }

  list(filter: UserFilter = {}): Promise<User[]> {
    return this.#store.list(filter);
  }

  async create(input: UserInput, defaultDomainId: string): Promise<User> {
    if (!input.name) throw badRequest("Invalid input for field 'name': a name is required.");
    validateOptions(input.options);
    const user: User = {
      id: newId(),
      name: input.name,
      domainId: input.domain_id ?? defaultDomainId,
      enabled: input.enabled ?? true,
      defaultProjectId: input.default_project_id ?? null,
      extra: pickExtra(input),
      options: input.options ?? {},
      passwordExpiresAt: null,
      failedAuthCount: 0,
      failedAuthAt: null,
    };
    await failOnDuplicate(this.#store.insert(user, dbTime()), () =>
      conflict(
        `Conflict occurred attempting to store user - Duplicate entry found with name ${user.name} at domain ID ${user.domainId}.`,
        'user_conflict',
      ),
    );
    if (input.password !== undefined && input.password !== null) {
      user.passwordExpiresAt = await this.#passwords.set(user, input.password, { selfService: false, checkHistory: false });
    }
    this.#ctx.revision.bump();
    return user;
  }

  async update(id: string, input: UserInput): Promise<User> {
    const u = await this.get(id);
    if (input.domain_id !== undefined && input.domain_id !== u.domainId) throw badRequest('Update of `domain_id` is not allowed.');
    validateOptions(input.options);
    if (input.name !== undefined) u.name = input.name;
    if (input.default_project_id !== undefined) u.defaultProjectId = input.default_project_id;
    const disabling = input.enabled === false && u.enabled;
    if (input.enabled !== undefined) u.enabled = input.enabled;
    if (input.options) {
      const merged: Record<string, unknown> = { ...u.options };
      for (const [k, v] of Object.entries(input.options)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      u.options = merged as UserOptions;
    }
    u.extra = { ...u.extra, ...pickExtra(input) };
    await failOnDuplicate(this.#store.update(u), () =>
      conflict(
        `Conflict occurred attempting to store user - Duplicate entry found with name ${u.name} at domain ID ${u.domainId}.`,
        'user_conflict',
      ),
    );
    if (input.password !== undefined && input.password !== null) {
      // As Keystone: an administrator's reset is not held to the password history, only self-service changes are.
      u.passwordExpiresAt = await this.#passwords.set(u, input.password, { selfService: false, checkHistory: false });
      await this.#store.setFailedAuth(u.id, 0, null);
    }
    this.#ctx.revision.bump();
    if (disabling || (input.password !== undefined && input.password !== null)) await this.#hooks?.revokeUserTokens(u.id);
    return u;
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#store.delete(id);
    await this.#hooks?.userDeleted(id);
    this.#ctx.revision.bump();
  }

  /**
   * Checks a password for authentication: lockout, hash, expiry. Every
   * failure is a 401 and counts toward lockout.
   */
  async checkPassword(user: User, password: string): Promise<void> {
    const cfg = this.#ctx.config;
    const lockoutOn = cfg.lockoutFailureAttempts > 0 && !user.options.ignore_lockout_failure_attempts;
    if (lockoutOn && user.failedAuthCount >= cfg.lockoutFailureAttempts && user.failedAuthAt) {
      const until = Date.parse(user.failedAuthAt) + cfg.lockoutDuration * 1000;
      if (Date.now() < until) throw accountLocked(user.id);
      // The lockout has passed: start counting afresh, in storage too, or one more miss would lock again at once.
      user.failedAuthCount = 0;
      await this.#store.setFailedAuth(user.id, 0, null);
    }
    const ok = await this.#passwords.verify(user.id, password);
    if (!ok) {
      if (lockoutOn) await this.#store.setFailedAuth(user.id, user.failedAuthCount + 1, dbTime());
      throw unauthorized();
    }
    if (user.failedAuthCount > 0) await this.#store.setFailedAuth(user.id, 0, null);
    if (user.passwordExpiresAt && !user.options.ignore_password_expiry && Date.parse(user.passwordExpiresAt) <= Date.now()) {
      throw new KumoError('password_expired', 401, `The password is expired and needs to be changed for user: ${user.id}.`);
    }
  }

  /** True when `password` is the user's current password; no lockout accounting (for bootstrap). */
  passwordMatches(userId: string, password: string): Promise<boolean> {
    return this.#passwords.verify(userId, password);
  }

  /** Self-service password change: the original password authenticates the change. */
  async changeOwnPassword(userId: string, original: string, next: string): Promise<void> {
    const user = await this.#store.get(userId);
    if (!user) throw unauthorized();
    if (!user.enabled) throw unauthorized();
    try {
      await this.checkPassword(user, original);
    } catch (e) {
      // An expired password may still be changed with the right original.
      if (!(e instanceof KumoError && e.code === 'password_expired')) throw e;
    }
    if (user.options.lock_password)
      throw new KumoError(
        'password_locked',
        403,
        'You cannot change your password at this time due to password policy disallowing password changes. Please contact your administrator to reset your password.',
      );
    await this.#passwords.set(user, next, { selfService: true, checkHistory: true });
    this.#ctx.revision.bump();
    await this.#hooks?.revokeUserTokens(userId);
  }
}

function validateOptions(options: UserOptions | undefined): void {
  if (!options) return;
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw badRequest(`Invalid input for field 'options': '${k}' is not a valid option.`);
  }
}
