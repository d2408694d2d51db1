import { MysqlAdapter, sql, type CreateTableBuilder, type Kysely, type RawBuilder } from 'kysely';

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

/** What every migration needs to create tables that behave alike on SQLite, MariaDB/MySQL and PostgreSQL. */
export interface PortableSchema {
  /** A text column as large as a request body may fill: MySQL's TEXT holds only 64 KiB. */
  TEXT: RawBuilder<unknown> | 'text';
  /** `db.schema.createTable` with MySQL's binary collation applied. */
  createTable(name: string): CreateTableBuilder<string, never>;
}

export async function portableSchema(db: Kysely<unknown>): Promise<PortableSchema> {
  const options = await mysqlTableOptions(db);
  return {
    TEXT: options ? sql`mediumtext` : 'text',
    createTable: (name) => (options ? db.schema.createTable(name).modifyEnd(sql.raw(options)) : db.schema.createTable(name)),
  };
}
