import type { IdentityKysely } from './identity-database.js';
import type { AppCredRow } from './schema.js';

export interface AppCredRecord extends AppCredRow {
  roleIds: string[];
}

/** Persistence of application credentials and their roles. */
export class AppCredentialStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<AppCredRecord | undefined> {
    const r = await this.db.selectFrom('application_credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r && { ...r, roleIds: await this.#roles(r.id) };
  }

  async getByName(userId: string, name: string): Promise<AppCredRecord | undefined> {
    const r = await this.db
      .selectFrom('application_credentials')
      .selectAll()
      .where('user_id', '=', userId)
      .where('name', '=', name)
      .executeTakeFirst();
    return r && { ...r, roleIds: await this.#roles(r.id) };
  }

  async listForUser(userId: string, name?: string): Promise<AppCredRecord[]> {
    let q = this.db.selectFrom('application_credentials').selectAll().where('user_id', '=', userId).orderBy('name');
    if (name !== undefined) q = q.where('name', '=', name);
    const rows = await q.execute();
    return Promise.all(rows.map(async (r) => ({ ...r, roleIds: await this.#roles(r.id) })));
  }

  async insert(r: AppCredRecord): Promise<void> {
    const { roleIds, ...row } = r;
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('application_credentials').values(row).execute();
      if (roleIds.length > 0)
        await tx
          .insertInto('app_cred_roles')
          .values(roleIds.map((role_id) => ({ app_cred_id: r.id, role_id })))
          .execute();
    });
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('app_cred_roles').where('app_cred_id', '=', id).execute();
      await tx.deleteFrom('application_credentials').where('id', '=', id).execute();
    });
  }

  async deleteForUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('application_credentials').select('id').where('user_id', '=', userId).execute();
    for (const r of rows) await this.delete(r.id);
    return rows.map((r) => r.id);
  }

  async #roles(id: string): Promise<string[]> {
    const rows = await this.db.selectFrom('app_cred_roles').select('role_id').where('app_cred_id', '=', id).execute();
    return rows.map((r) => r.role_id);
  }
}
