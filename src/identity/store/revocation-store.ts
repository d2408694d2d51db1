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

  /**
   * A fingerprint of the event table (newest time and count), to notice events other processes
   * wrote: two events in the same millisecond still change the count.
   */
  async fingerprint(): Promise<string> {
    const r = await this.db
      .selectFrom('revocation_events')
      .select((eb) => [eb.fn.max('revoked_at').as('m'), eb.fn.countAll().as('n')])
      .executeTakeFirst();
    return `${String(r?.m ?? '')}|${String(r?.n ?? 0)}`;
  }

  async pruneBefore(isoTime: string): Promise<void> {
    await this.db.deleteFrom('revocation_events').where('revoked_at', '<', isoTime).execute();
  }
}
