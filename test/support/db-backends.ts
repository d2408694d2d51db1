import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The database backends every storage test runs against. A server that is
 * not reachable is skipped locally, but fails the run when CI is set:
 * CI must exercise all three.
 */
export interface Backend {
  name: 'sqlite' | 'mysql' | 'postgres';
  /** Why the backend is skipped, or undefined when it is available. */
  skip?: string;
  /** Creates a fresh, empty database and returns its URL. */
  create(): Promise<string>;
  /** Drops every database this backend created. */
  cleanup(): Promise<void>;
}

const MYSQL = process.env.KUMO_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const POSTGRES = process.env.KUMO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

const dbName = (): string => `kumo_test_${randomBytes(5).toString('hex')}`;

function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'kumo-sqlite-'));
      dirs.push(dir);
      return `sqlite:${join(dir, 'test.db')}`;
    },
    async cleanup() {
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

async function mysqlBackend(): Promise<Backend> {
  const { createConnection } = await import('mysql2/promise');
  const created: string[] = [];
  let skip: string | undefined;
  try {
    const c = await createConnection({ uri: MYSQL, connectTimeout: 2000 });
    await c.end();
  } catch (e) {
    skip = `MariaDB/MySQL not reachable at ${MYSQL}: ${(e as Error).message}`;
  }
  return {
    name: 'mysql',
    skip,
    async create() {
      const name = dbName();
      const c = await createConnection({ uri: MYSQL });
      await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      await c.end();
      created.push(name);
      return `${MYSQL}/${name}`;
    },
    async cleanup() {
      if (created.length === 0) return;
      const c = await createConnection({ uri: MYSQL });
      for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const pg = (await import('pg')).default;
  const admin = (): InstanceType<typeof pg.Client> =>
    new pg.Client({ connectionString: `${POSTGRES}/postgres`, connectionTimeoutMillis: 2000 });
  const created: string[] = [];
  let skip: string | undefined;
  try {
    const c = admin();
    await c.connect();
    await c.end();
  } catch (e) {
    skip = `PostgreSQL not reachable at ${POSTGRES}: ${(e as Error).message}`;
  }
  return {
    name: 'postgres',
    skip,
    async create() {
      const name = dbName();
      const c = admin();
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      created.push(name);
      return `${POSTGRES}/${name}`;
    },
    async cleanup() {
      if (created.length === 0) return;
      const c = admin();
      await c.connect();
      for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** All backends; in CI an unreachable server is an error, not a skip. */
export async function databaseBackends(): Promise<Backend[]> {
  const all = [sqliteBackend(), await mysqlBackend(), await postgresBackend()];
  if (process.env.CI) {
    const missing = all.filter((b) => b.skip);
    if (missing.length > 0) throw new Error(`CI requires every database backend: ${missing.map((b) => b.skip).join('; ')}`);
  }
  return all;
}
