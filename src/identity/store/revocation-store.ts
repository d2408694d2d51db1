import type { IdentityKysely } from './identity-database.js';
import type { RevocationEventRow } from './schema.js';

/** Persistence of token revocation events. */
export class RevocationStore {
  constructor(private readonly db: IdentityKysely) {}

  async list(): Promise<RevocationEventRow[]> {
    return this.db.selectFrom('revocation_events').selectAll().orderBy('revoked_at').execute();
  }

  async add(e: RevocationEventRow): Promise<void> {
    await this.db.insertInto('revocation_events').values(e).execute();
  }

  /** Latest revocation time, to notice events other processes wrote. */
  async latest(): Promise<string | null> {
    const r = await this.db
      .selectFrom('revocation_events')
      .select((eb) => eb.fn.max('revoked_at').as('m'))
      .executeTakeFirst();
    return (r?.m as string | null | undefined) ?? null;
  }

  async pruneBefore(isoTime: string): Promise<void> {
    await this.db.deleteFrom('revocation_events').where('revoked_at', '<', isoTime).execute();
  }
}
