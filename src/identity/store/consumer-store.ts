import type { IdentityKysely } from './identity-database.js';
import type { OAuthConsumerRow } from './schema.js';

/** Persistence of OS-OAUTH1 consumers. */
export class ConsumerStore {
  constructor(private readonly db: IdentityKysely) {}

  get(id: string): Promise<OAuthConsumerRow | undefined> {
    return this.db.selectFrom('oauth_consumers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<OAuthConsumerRow[]> {
    return this.db.selectFrom('oauth_consumers').selectAll().orderBy('id').execute();
  }

  async insert(r: OAuthConsumerRow): Promise<void> {
    await this.db.insertInto('oauth_consumers').values(r).execute();
  }

  async update(r: OAuthConsumerRow): Promise<void> {
    await this.db.updateTable('oauth_consumers').set({ description: r.description, extra: r.extra }).where('id', '=', r.id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('oauth_consumers').where('id', '=', id).execute();
  }
}
