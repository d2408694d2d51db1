import { MysqlAdapter, sql, type Kysely } from 'kysely';

/**
 * MySQL tables otherwise inherit the database's default collation, usually
 * case- and accent-insensitive (utf8mb4_general_ci) or even latin1. Names
 * must compare and be unique exactly as on SQLite and PostgreSQL: binary,
 * and NO PAD (trailing spaces significant) where the server has it.
 */
export async function mysqlTableOptions(db: Kysely<unknown>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof MysqlAdapter)) return undefined;
  const { rows } = await sql<{
    c: string;
  }>`select collation_name as c from information_schema.collations where collation_name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`.execute(
    db,
  );
  return `character set utf8mb4 collate ${rows[0]?.c ?? 'utf8mb4_bin'}`;
}
