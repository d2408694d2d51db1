import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { isUniqueViolation, openDatabase, redactUrl } from './database.js';

test('redactUrl hides passwords and nothing else', () => {
  assert.equal(redactUrl('mysql://kumo:s3cret@db.example:3306/kumo'), 'mysql://kumo:***@db.example:3306/kumo');
  assert.equal(redactUrl('postgres://postgres@127.0.0.1:5432/kumo'), 'postgres://postgres@127.0.0.1:5432/kumo');
  assert.equal(redactUrl('amqp://guest:guest@rabbit:5672/'), 'amqp://guest:***@rabbit:5672/');
  assert.equal(redactUrl('sqlite:/var/lib/kumo/identity.db'), 'sqlite:/var/lib/kumo/identity.db');
  assert.equal(redactUrl('sqlite::memory:'), 'sqlite::memory:');
  // An unencoded '@' in the password: the authority ends at the last '@', so nothing of the password may show.
  assert.equal(redactUrl('mysql://kumo:p@ss@db/kumo'), 'mysql://kumo:***@db/kumo');
  assert.equal(redactUrl('mysql://:only-password@db/kumo'), 'mysql://:***@db/kumo');
  // An '@' after the authority is not part of the credentials.
  assert.equal(redactUrl('postgres://u:pw@db/kumo?application_name=a@b'), 'postgres://u:***@db/kumo?application_name=a@b');
});

test('isUniqueViolation recognises each driver and nothing else', () => {
  assert.equal(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' }), true);
  assert.equal(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }), true);
  assert.equal(isUniqueViolation({ code: 'ER_DUP_ENTRY', errno: 1062 }), true);
  assert.equal(isUniqueViolation({ errno: 1062 }), true);
  assert.equal(isUniqueViolation({ code: '23505' }), true);

  assert.equal(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_NOTNULL' }), false);
  assert.equal(isUniqueViolation({ code: 'SQLITE_BUSY' }), false);
  assert.equal(isUniqueViolation({ code: '23502' }), false); // postgres not_null_violation
  assert.equal(isUniqueViolation({ code: 'ER_DATA_TOO_LONG', errno: 1406 }), false);
  assert.equal(isUniqueViolation(new Error('duplicate key')), false);
  for (const odd of [undefined, null, 'ER_DUP_ENTRY', 1062]) assert.equal(isUniqueViolation(odd), false, String(odd));
});

test('isUniqueViolation on real SQLite errors', async () => {
  const d = await openDatabase<{ t: { id: string; name: string; note: string } }>('sqlite::memory:');
  try {
    await sql`create table t (id varchar(64) primary key, name varchar(255) not null unique, note text not null)`.execute(d.db);
    await d.db.insertInto('t').values({ id: '1', name: 'a', note: '' }).execute();
    const failure = async (row: { id: string; name: string; note: string | null }): Promise<unknown> => {
      try {
        await d.db
          .insertInto('t')
          .values(row as never)
          .execute();
      } catch (e) {
        return e;
      }
      assert.fail('insert should have failed');
    };
    assert.equal(isUniqueViolation(await failure({ id: '1', name: 'b', note: '' })), true, 'primary key');
    assert.equal(isUniqueViolation(await failure({ id: '2', name: 'a', note: '' })), true, 'unique column');
    assert.equal(isUniqueViolation(await failure({ id: '3', name: 'c', note: null })), false, 'not null');
    assert.equal(d.dialect, 'sqlite');
    assert.equal(await d.ping(), true);
  } finally {
    await d.close();
  }
});

test('openDatabase refuses an unknown scheme without echoing the password', async () => {
  await assert.rejects(openDatabase('oracle://scott:tiger@db/orcl'), (e: Error) => {
    assert.match(e.message, /unsupported database URL 'oracle:\/\/scott:\*\*\*@db\/orcl'/);
    assert.doesNotMatch(e.message, /tiger/);
    return true;
  });
});
