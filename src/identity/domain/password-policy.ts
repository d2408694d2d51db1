import { KumoError, badRequest } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/crypto/password-hasher.js';
import { UserStore } from '../store/user-store.js';
import type { IdentityContext } from './identity-context.js';
import type { User } from './models.js';

const DAY_MS = 86_400_000;

/**
 * Keystone's security-compliance rules for setting and checking passwords:
 * strength regex, history, minimum age, expiry and change-on-first-use.
 * All are off by default.
 */
export class PasswordPolicy {
  readonly #ctx: IdentityContext;
  readonly #store: UserStore;

  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
    this.#store = new UserStore(ctx.db);
  }

  get #hashParams(): { memoryCost: number; timeCost: number } {
    return { memoryCost: this.#ctx.config.passwordHashMemoryKib, timeCost: this.#ctx.config.passwordHashTimeCost };
  }

  /** Stores a new password; returns its expiry (ISO) or null. */
  async set(user: User, password: string, opts: { selfService: boolean; checkHistory: boolean }): Promise<string | null> {
    const cfg = this.#ctx.config;
    if (password.length > 4096) throw badRequest("Invalid input for field 'password': too long.");
    if (cfg.passwordRegex && !new RegExp(cfg.passwordRegex).test(password)) {
      const why = cfg.passwordRegexDescription ? `: ${cfg.passwordRegexDescription}` : '.';
      throw new KumoError('password_validation', 400, `Password validation error: The password does not meet the requirements${why}`);
    }
    if (opts.selfService && cfg.minimumPasswordAge > 0) {
      const current = await this.#store.currentPassword(user.id);
      if (current && Date.now() - Number(current.created_at_ms) < cfg.minimumPasswordAge * DAY_MS) {
        throw new KumoError(
          'password_age',
          400,
          `You cannot change your password at this time due to the minimum password age. Once you change your password, it must be used for ${cfg.minimumPasswordAge} day(s) before it can be changed. Please try again in ${cfg.minimumPasswordAge} day(s) or contact your administrator to reset your password.`,
        );
      }
    }
    const history = cfg.uniqueLastPasswordCount;
    // As Keystone: the new password must differ from the last `history` passwords, the current one included.
    if (opts.checkHistory && history > 0) {
      for (const old of await this.#store.passwords(user.id, history)) {
        if (await verifyPassword(password, old.hash)) {
          throw new KumoError(
            'password_history',
            400,
            `Password validation error: The new password cannot be identical to a previous password. The total number which includes the new password must be unique is ${history}.`,
          );
        }
      }
    }
    const now = Date.now();
    let expiresAt: string | null = null;
    if (!opts.selfService && cfg.changePasswordUponFirstUse && !user.options.ignore_change_password_upon_first_use) {
      expiresAt = new Date(now).toISOString();
    } else if (cfg.passwordExpiresDays > 0 && !user.options.ignore_password_expiry) {
      expiresAt = new Date(now + cfg.passwordExpiresDays * DAY_MS).toISOString();
    }
    await this.#store.addPassword({
      id: newId(),
      user_id: user.id,
      hash: await hashPassword(password, this.#hashParams),
      created_at: new Date(now).toISOString(),
      // Strictly increasing per user even within one millisecond, so "newest" is unambiguous.
      created_at_ms: Math.max(now, Number((await this.#store.currentPassword(user.id))?.created_at_ms ?? 0) + 1),
      expires_at: expiresAt,
      self_service: opts.selfService ? 1 : 0,
    });
    await this.#store.prunePasswords(user.id, Math.max(history, 1));
    return expiresAt;
  }

  /** True when `password` matches the user's current password; upgrades old hash formats on success. */
  async verify(userId: string, password: string): Promise<boolean> {
    const current = await this.#store.currentPassword(userId);
    if (!current) return false;
    if (!(await verifyPassword(password, current.hash))) return false;
    if (needsRehash(current.hash, this.#hashParams)) {
      await this.#store.replaceHash(current.id, await hashPassword(password, this.#hashParams));
    }
    return true;
  }
}
