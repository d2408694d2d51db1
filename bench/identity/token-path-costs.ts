/**
 * What one token operation costs the server's main thread, in-process (no
 * HTTP), and what the validation cache holds per entry: SQL statements
 * prepared per operation (kysely's SQLite driver prepares one per query),
 * microseconds per operation, heap bytes per cached token.
 *
 *   node --expose-gc --import tsx bench/identity/token-path-costs.ts [--tokens 20000] [--statement-cache]
 *
 * --statement-cache emulates a prepared-statement cache in front of
 * better-sqlite3 (reuse one Statement per SQL text) to show what it would save.
 *
 * The harness hashes passwords with argon2id m=1024 t=1 (tests' setting), so
 * the password figure here is the non-hash part of a login plus that tiny hash.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { ADMIN_PASSWORD, startIdentity } from '../../test/support/identity-harness.js';

const { values: args } = parseArgs({
  options: { tokens: { type: 'string', default: '20000' }, 'statement-cache': { type: 'boolean', default: false } },
});
const n = Number(args.tokens);
if (!Number.isInteger(n) || n < 100 || n > 1_000_000) throw new Error('--tokens must be an integer in [100, 1000000]');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

// Count the statements better-sqlite3 prepares, by SQL text.
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as { prototype: { prepare: (sql: string) => unknown } };
const prepare = Sqlite.prototype.prepare;
const seen = new Map<string, number>();
const statements = new WeakMap<object, Map<string, unknown>>();
Sqlite.prototype.prepare = function (this: object, sql: string) {
  seen.set(sql, (seen.get(sql) ?? 0) + 1);
  if (!args['statement-cache']) return prepare.call(this, sql);
  let cache = statements.get(this);
  if (!cache) statements.set(this, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = prepare.call(this, sql)));
  return stmt;
};

/** Runs `op` `count` times and reports µs per call and the statements it prepared. */
async function measure(name: string, count: number, op: (i: number) => Promise<unknown>): Promise<void> {
  seen.clear();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  const us = ((performance.now() - t0) * 1000) / count;
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${name}: ${us.toFixed(0)} µs each; ${(total / count).toFixed(1)} SQL statements prepared each`);
  for (const [sql, c] of [...seen].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    if (c / count >= 0.01) console.log(`  ${(c / count).toFixed(2)}x ${sql.slice(0, 140)}`);
  }
}

const h = await startIdentity();
try {
  const { auth, tokens } = h.server.services;
  const scope = { project: { name: 'admin', domain: { name: 'Default' } } };
  const password = { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } } };
  await measure('issue, password method, project scope (argon2id m=1024 t=1)', Math.min(n, 2000), () =>
    auth.authenticate({ identity: password, scope }),
  );

  const issued: string[] = [];
  await measure('issue, token method, project scope', n, async () => {
    issued.push((await auth.authenticate({ identity: { methods: ['token'], token: { id: h.adminToken } }, scope })).token);
  });

  const before = heap();
  await measure('validate, not cached', n, (i) => tokens.validate(issued[i]!));
  const after = heap();
  await measure('validate, cached', n, (i) => tokens.validate(issued[i]!));
  const data = await tokens.validate(issued[0]!);
  await measure('token body with catalog (cached token)', n, () => tokens.body(data, true));

  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  console.log(
    `\nvalidation cache: heap ${mib(before)} → ${mib(after)} MiB for ${n} tokens, ${((after - before) / n).toFixed(0)} bytes per entry`,
  );
} finally {
  await h.close();
}
