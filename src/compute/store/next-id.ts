import { isUniqueViolation } from '../../lib/db/database.js';
import type { ComputeKysely } from './compute-database.js';

type IntIdTable = 'flavors' | 'key_pairs' | 'compute_services' | 'compute_nodes' | 'aggregates';

/**
 * Inserts a row whose integer primary key is max(id)+1, retrying when a
 * concurrent writer took the same id: portable across SQLite, MariaDB and
 * PostgreSQL without dialect-specific auto-increment columns.
 */
export async function insertWithNextId<R extends { id: number }>(
  db: ComputeKysely,
  table: IntIdTable,
  row: Omit<R, 'id'>,
  isIdClash: (e: unknown) => boolean = isUniqueViolation,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const max = await db
      .selectFrom(table)
      .select((eb) => eb.fn.max<number>('id').as('m'))
      .executeTakeFirst();
    const id = Number(max?.m ?? 0) + 1;
    try {
      await db
        .insertInto(table)
        .values({ ...row, id } as never)
        .execute();
      return id;
    } catch (e) {
      // Another unique constraint (name, host...) is the caller's business; only retry an id clash.
      if (attempt >= 5 || !isIdClash(e)) throw e;
      const exists = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
      if (!exists) throw e;
    }
  }
}
