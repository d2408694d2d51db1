import type { IdentityKysely } from './identity-database.js';
import type { TrustRow } from './schema.js';

export interface TrustRecord extends TrustRow {
  roleIds: string[];
}

/** Persistence of trusts and their delegated roles; deleted trusts stay as rows with deleted_at. */
export class TrustStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(id: string): Promise<TrustRecord | undefined> {
    const r = await this.db.selectFrom('trusts').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return r && { ...r, roleIds: await this.#roles(r.id) };
  }

  async list(filter: { trustorUserId?: string; trusteeUserId?: string }): Promise<TrustRecord[]> {
    let q = this.db.selectFrom('trusts').selectAll().where('deleted_at', 'is', null).orderBy('id');
    if (filter.trustorUserId !== undefined) q = q.where('trustor_user_id', '=', filter.trustorUserId);
    if (filter.trusteeUserId !== undefined) q = q.where('trustee_user_id', '=', filter.trusteeUserId);
    const rows = await q.execute();
    return Promise.all(rows.map(async (r) => ({ ...r, roleIds: await this.#roles(r.id) })));
  }

  async insert(r: TrustRecord): Promise<void> {
    const { roleIds, ...row } = r;
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('trusts').values(row).execute();
      if (roleIds.length > 0)
        await tx
          .insertInto('trust_roles')
          .values(roleIds.map((role_id) => ({ trust_id: r.id, role_id })))
          .execute();
    });
  }

  async softDelete(id: string, at: string): Promise<void> {
    await this.db.updateTable('trusts').set({ deleted_at: at }).where('id', '=', id).where('deleted_at', 'is', null).execute();
  }

  /** Marks every live trust where the user is trustor or trustee deleted; returns their IDs. */
  async softDeleteForUser(userId: string, at: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('trusts')
      .select('id')
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('trustor_user_id', '=', userId), eb('trustee_user_id', '=', userId)]))
      .execute();
    for (const r of rows) await this.softDelete(r.id, at);
    return rows.map((r) => r.id);
  }

  /** Takes one use atomically; false when none was left. Unlimited trusts always succeed. */
  async consumeUse(id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('trusts')
      .set((eb) => ({ remaining_uses: eb('remaining_uses', '-', 1) }))
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .where('remaining_uses', '>', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async #roles(id: string): Promise<string[]> {
    const rows = await this.db.selectFrom('trust_roles').select('role_id').where('trust_id', '=', id).execute();
    return rows.map((r) => r.role_id);
  }
}
