import { chmodSync } from 'node:fs';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql, type Dialect } from 'kysely';

export type DialectName = 'sqlite' | 'mysql' | 'postgres';

/** An open database: the query builder plus what callers need to know about the dialect. */
export interface Database<DB = unknown> {
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  readonly url: string;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens a database by URL:
 *   sqlite:/var/lib/kumo/identity.db   sqlite::memory:
 *   mysql://root@127.0.0.1:3306/kumo   postgres://postgres@127.0.0.1:5432/kumo
 * Driver packages are loaded lazily so an all-SQLite install never loads the others.
 */
export async function openDatabase<DB>(url: string): Promise<Database<DB>> {
  const { dialect, name } = await makeDialect(url);
  const db = new Kysely<DB>({ dialect });
  return {
    db,
    dialect: name,
    url,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

async function makeDialect(url: string): Promise<{ dialect: Dialect; name: DialectName }> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    const { default: SQLite } = await import('better-sqlite3');
    const handle = new SQLite(file);
    // Databases hold password hashes: owner-only, and SQLite gives its -wal/-shm files the same mode.
    if (file !== ':memory:' && file !== '') chmodSync(file, 0o600);
    // WAL lets API readers proceed while a writer commits; busy_timeout rides out short write locks.
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    handle.pragma('busy_timeout = 5000');
    handle.pragma('foreign_keys = ON');
    // Kysely prepares every query anew; reusing one statement per SQL text saves ~25% of a login's
    // main-thread time (docs/benchmarks.md). The SQL texts are few (no values inline), bounded anyway.
    const statements = new Map<string, ReturnType<typeof handle.prepare>>();
    const database = {
      close: () => handle.close(),
      prepare: (text: string) => {
        let stmt = statements.get(text);
        if (!stmt) {
          if (statements.size >= 2000) statements.clear();
          stmt = handle.prepare(text);
          statements.set(text, stmt);
        }
        return stmt;
      },
    };
    return { dialect: new SqliteDialect({ database }), name: 'sqlite' };
  }
  if (url.startsWith('mysql:') || url.startsWith('mariadb:')) {
    const { createPool } = await import('mysql2');
    const pool = createPool({
      uri: url.replace(/^mariadb:/, 'mysql:'),
      connectionLimit: 10,
      // Timestamps are stored as ISO text; keep the driver from reinterpreting anything.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: 'utf8mb4',
    });
    return { dialect: new MysqlDialect({ pool }), name: 'mysql' };
  }
  if (url.startsWith('postgres:') || url.startsWith('postgresql:')) {
    const pg = await import('pg');
    const pool = new pg.default.Pool({ connectionString: url, max: 10 });
    return { dialect: new PostgresDialect({ pool }), name: 'postgres' };
  }
  throw new Error(`unsupported database URL '${redactUrl(url)}': use sqlite:, mysql: or postgres:`);
}

/** A URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  // The password runs to the last '@' of the authority (before any '/', '?' or '#'): it may hold an unencoded '@'.
  return url.replace(/\/\/([^:/@]*):[^/?#]*@/, '//$1:***@');
}

/** True when the error is a unique-constraint violation on any dialect. */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: string; errno?: number };
  return (
    err.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    err.code === 'ER_DUP_ENTRY' ||
    err.errno === 1062 ||
    err.code === '23505'
  );
}

/** Runs a write; a unique-constraint violation becomes the caller's error (a 409), anything else propagates. */
export async function failOnDuplicate<T>(write: Promise<T>, onDuplicate: () => Error): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (isUniqueViolation(e)) throw onDuplicate();
    throw e;
  }
}
