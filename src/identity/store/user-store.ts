import type { IdentityKysely } from './identity-database.js';
import { bool, int, readJson, writeJson } from './json.js';
import type { PasswordRow, UserRow } from './schema.js';
import type { User, UserOptions } from '../domain/models.js';

const toUser = (r: UserRow, expiresAt: string | null): User => ({
  id: r.id,
  name: r.name,
  domainId: r.domain_id,
  enabled: bool(r.enabled),
  defaultProjectId: r.default_project_id,
  extra: readJson(r.extra),
  options: readJson(r.options) as UserOptions,
  passwordExpiresAt: expiresAt,
  failedAuthCount: Number(r.failed_auth_count),
  failedAuthAt: r.failed_auth_at,
});

export interface UserFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  ids?: string[];
}

/** Persistence of users and their password history. */
export class UserStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    return toUser(r, (await this.currentPassword(id))?.expires_at ?? null);
  }

  async getByName(domainId: string, name: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('domain_id', '=', domainId).where('name', '=', name).executeTakeFirst();
    if (!r) return undefined;
    return toUser(r, (await this.currentPassword(r.id))?.expires_at ?? null);
  }

  async list(filter: UserFilter): Promise<User[]> {
    let q = this.db.selectFrom('users').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', int(filter.enabled));
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    const rows = await q.execute();
    const expiry = await this.currentExpiries(rows.map((r) => r.id));
    return rows.map((r) => toUser(r, expiry.get(r.id) ?? null));
  }

  async insert(u: User, createdAt: string): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: u.id,
        name: u.name,
        domain_id: u.domainId,
        enabled: int(u.enabled),
        default_project_id: u.defaultProjectId,
        extra: writeJson(u.extra),
        options: writeJson(u.options as Record<string, unknown>),
        created_at: createdAt,
        last_active_at: null,
        failed_auth_count: 0,
        failed_auth_at: null,
      })
      .execute();
  }

  async update(u: User): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        name: u.name,
        enabled: int(u.enabled),
        default_project_id: u.defaultProjectId,
        extra: writeJson(u.extra),
        options: writeJson(u.options as Record<string, unknown>),
      })
      .where('id', '=', u.id)
      .execute();
  }

  async setFailedAuth(id: string, count: number, at: string | null): Promise<void> {
    await this.db.updateTable('users').set({ failed_auth_count: count, failed_auth_at: at }).where('id', '=', id).execute();
  }

  async setLastActive(id: string, at: string): Promise<void> {
    await this.db.updateTable('users').set({ last_active_at: at }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('passwords').where('user_id', '=', id).execute();
      await tx.deleteFrom('group_members').where('user_id', '=', id).execute();
      await tx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  /** Password history, newest first. */
  async passwords(userId: string, limit: number): Promise<PasswordRow[]> {
    return this.db
      .selectFrom('passwords')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at_ms', 'desc')
      .limit(limit)
      .execute();
  }

  async currentPassword(userId: string): Promise<PasswordRow | undefined> {
    return (await this.passwords(userId, 1))[0];
  }

  async addPassword(p: PasswordRow): Promise<void> {
    await this.db.insertInto('passwords').values(p).execute();
  }

  async replaceHash(passwordId: string, hash: string): Promise<void> {
    await this.db.updateTable('passwords').set({ hash }).where('id', '=', passwordId).execute();
  }

  /** Keeps the newest `keep` passwords of a user, so history stays bounded. */
  async prunePasswords(userId: string, keep: number): Promise<void> {
    const old = await this.db
      .selectFrom('passwords')
      .select('id')
      .where('user_id', '=', userId)
      .orderBy('created_at_ms', 'desc')
      .offset(keep)
      .limit(1000)
      .execute();
    if (old.length > 0)
      await this.db
        .deleteFrom('passwords')
        .where(
          'id',
          'in',
          old.map((o) => o.id),
        )
        .execute();
  }

  private async currentExpiries(ids: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('passwords')
      .select(['user_id', 'expires_at', 'created_at_ms'])
      .where('user_id', 'in', ids)
      .execute();
    const newest = new Map<string, number>();
    for (const r of rows) {
      const ms = Number(r.created_at_ms);
      if (ms >= (newest.get(r.user_id) ?? -1)) {
        newest.set(r.user_id, ms);
        out.set(r.user_id, r.expires_at);
      }
    }
    return out;
  }
}
