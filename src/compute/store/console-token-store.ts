import type { ComputeKysely } from './compute-database.js';
import type { ConsoleAuthTokenRow } from './console-tables.js';

/** Persistence of console authorization tokens, addressed by token hash. */
export class ConsoleTokenStore {
  constructor(private readonly db: ComputeKysely) {}

  async insert(row: ConsoleAuthTokenRow): Promise<void> {
    await this.db.insertInto('console_auth_tokens').values(row).execute();
  }

  /** The row of `tokenHash` if it expires after `now` (ISO). */
  async getUnexpired(tokenHash: string, now: string): Promise<ConsoleAuthTokenRow | undefined> {
    return this.db
      .selectFrom('console_auth_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  async deleteByHash(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('console_auth_tokens').where('token_hash', '=', tokenHash).execute();
  }

  /** Returns how many tokens of the instance were removed. */
  async deleteForInstance(instanceUuid: string): Promise<number> {
    const r = await this.db.deleteFrom('console_auth_tokens').where('instance_uuid', '=', instanceUuid).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Removes tokens that expired at or before `now`; returns how many. */
  async deleteExpired(now: string): Promise<number> {
    const r = await this.db.deleteFrom('console_auth_tokens').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
