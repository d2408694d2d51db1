import type { IdentityKysely } from './identity-database.js';
import type { PolicyRow } from './schema.js';

/** Persistence of the opaque policy documents of /v3/policies. */
export class PolicyBlobStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<PolicyRow | undefined> {
    return this.db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(filter: { type?: string }): Promise<PolicyRow[]> {
    let q = this.db.selectFrom('policies').selectAll().orderBy('id');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return q.execute();
  }

  async insert(row: PolicyRow): Promise<void> {
    await this.db.insertInto('policies').values(row).execute();
  }

  async update(row: PolicyRow): Promise<void> {
    const { id, ...rest } = row;
    await this.db.updateTable('policies').set(rest).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('policies').where('id', '=', id).execute();
  }
}
