import { setTimeout as sleep } from 'node:timers/promises';
import { Migrator, SqliteAdapter, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { openDatabase, type Database } from './database.js';

/**
 * Each service owns an ordered list of migrations and its own bookkeeping
 * table, so services can share one database or live in separate ones.
 * Names sort lexically: `0001_initial`, `0002_tags`, ...
 */
export type MigrationSet = Readonly<Record<string, Migration>>;

export interface MigrateResult {
  applied: string[];
}

export async function migrateToLatest(db: Kysely<unknown>, service: string, migrations: MigrationSet): Promise<MigrateResult> {
  // Kysely's migration lock is a no-op on SQLite, so two processes opening one file at once may both
  // apply a migration; the loser fails on what the winner created. Its transaction rolled back, so
  // running again once the winner has committed finds nothing left to do.
  const attempts = db.getExecutor().adapter instanceof SqliteAdapter ? 5 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db, service, migrations);
    } catch (e) {
      if (attempt >= attempts) throw e;
      await sleep(50 * attempt);
    }
  }
}

async function migrateOnce(db: Kysely<unknown>, service: string, migrations: MigrationSet): Promise<MigrateResult> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: `kumo_migrations_${service}`,
    migrationLockTableName: `kumo_migrations_${service}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`${service} migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/**
 * Opens a service's database and brings its schema up to date. On failure the
 * pool is closed: an open pool would keep the process alive after the error
 * is reported.
 */
export async function openMigratedDatabase<DB>(url: string, service: string, migrations: MigrationSet): Promise<Database<DB>> {
  const database = await openDatabase<DB>(url);
  try {
    await migrateToLatest(database.db as never, service, migrations);
  } catch (e) {
    await database.close();
    throw e;
  }
  return database;
}
