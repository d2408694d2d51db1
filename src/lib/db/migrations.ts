import { Migrator, type Kysely, type Migration, type MigrationResult } from 'kysely';

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
