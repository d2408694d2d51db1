import type { IdentityKysely } from './identity-database.js';
import type { CredentialRow } from './schema.js';

export interface CredentialFilter {
  userId?: string;
  type?: string;
  projectId?: string;
}

/** Persistence of credentials; `blob` arrives here already encrypted. */
export class CredentialStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<CredentialRow | undefined> {
    return this.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(filter: CredentialFilter): Promise<CredentialRow[]> {
    let q = this.db.selectFrom('credentials').selectAll().orderBy('id');
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    return q.execute();
  }

  async insert(row: CredentialRow): Promise<void> {
    await this.db.insertInto('credentials').values(row).execute();
  }

  async update(row: CredentialRow): Promise<void> {
    const { id, ...rest } = row;
    await this.db.updateTable('credentials').set(rest).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('credentials').where('id', '=', id).execute();
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.db.deleteFrom('credentials').where('user_id', '=', userId).execute();
  }

  async deleteForProject(projectId: string): Promise<void> {
    await this.db.deleteFrom('credentials').where('project_id', '=', projectId).execute();
  }
}
