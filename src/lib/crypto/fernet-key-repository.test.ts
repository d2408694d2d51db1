import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FernetKeyRepository, FernetKeyRepositoryError } from './fernet-key-repository.js';
import { FernetKey, decrypt, encrypt } from './fernet.js';

let root: string;
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kumo-fernet-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh, not yet existing repository directory (nested to check parents are created). */
const freshDir = (): string => join(root, `repo-${n++}`, 'fernet-keys');
const names = async (dir: string): Promise<string[]> => (await readdir(dir)).sort((a, b) => Number(a) - Number(b));
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

test('setup creates keys 0 and 1 with private permissions, and is idempotent', async () => {
  const dir = freshDir();
  const repo = new FernetKeyRepository({ dir });
  assert.equal(repo.setup(), true);
  assert.deepEqual(await names(dir), ['0', '1']);
  assert.equal(await mode(dir), 0o700);
  for (const f of ['0', '1']) {
    assert.equal(await mode(join(dir, f)), 0o600);
    assert.match(await readFile(join(dir, f), 'utf8'), /^[A-Za-z0-9_-]{43}=$/);
  }
  const before = await Promise.all(['0', '1'].map((f) => readFile(join(dir, f), 'utf8')));
  assert.equal(repo.setup(), false);
  assert.deepEqual(await Promise.all(['0', '1'].map((f) => readFile(join(dir, f), 'utf8'))), before);
});

test('rotate sequence with the default of 3 active keys', async () => {
  const dir = freshDir();
  const repo = new FernetKeyRepository({ dir });
  repo.setup();
  const staged = await readFile(join(dir, '0'), 'utf8');
  repo.rotate();
  assert.deepEqual(await names(dir), ['0', '1', '2']);
  assert.equal(await readFile(join(dir, '2'), 'utf8'), staged, 'staged key is promoted, not regenerated');
  assert.notEqual(await readFile(join(dir, '0'), 'utf8'), staged);
  repo.rotate();
  assert.deepEqual(await names(dir), ['0', '2', '3']);
  repo.rotate();
  assert.deepEqual(await names(dir), ['0', '3', '4']);
  for (const f of await names(dir)) assert.equal(await mode(join(dir, f)), 0o600);
});

test('maxActiveKeys keeps more secondaries, and 1 keeps only the staged key (as Keystone)', async () => {
  const dir5 = freshDir();
  const repo5 = new FernetKeyRepository({ dir: dir5, maxActiveKeys: 5 });
  repo5.setup();
  for (let i = 0; i < 6; i++) repo5.rotate();
  assert.deepEqual(await names(dir5), ['0', '4', '5', '6', '7']);

  const dir1 = freshDir();
  new FernetKeyRepository({ dir: dir1, maxActiveKeys: 1 }).setup();
  assert.deepEqual(await names(dir1), ['0']);

  assert.throws(() => new FernetKeyRepository({ dir: dir1, maxActiveKeys: 0 }), RangeError);
  assert.throws(() => new FernetKeyRepository({ dir: dir1, maxActiveKeys: 2.5 }), RangeError);
});

test('load orders primary, secondaries descending, staged last', async () => {
  const dir = freshDir();
  const repo = new FernetKeyRepository({ dir, maxActiveKeys: 4 });
  repo.setup();
  repo.rotate();
  repo.rotate();
  const loaded = repo.load();
  assert.deepEqual(loaded.ids, [3, 2, 1, 0]);
  assert.equal(loaded.all.length, 4);
  assert.equal(loaded.primary, loaded.all[0]);
  // The primary key is the one in file 3: a token from it decrypts with that key alone.
  const token = encrypt(loaded.primary, Buffer.from('p'));
  assert.equal(decrypt([new FernetKey(await readFile(join(dir, '3'), 'utf8'))], token).toString(), 'p');
});

test('tokens survive one rotation, and the staged key is accepted before promotion', async () => {
  const dir = freshDir();
  const repo = new FernetKeyRepository({ dir });
  repo.setup();
  const before = repo.load();
  const oldToken = encrypt(before.primary, Buffer.from('issued before rotation'));
  // A peer node that already rotated encrypts with what is our staged key.
  const peerToken = encrypt(before.all[before.all.length - 1] as FernetKey, Buffer.from('from peer'));
  assert.equal(decrypt(before.all, peerToken).toString(), 'from peer');

  repo.rotate();
  const after1 = repo.load();
  assert.equal(decrypt(after1.all, oldToken).toString(), 'issued before rotation');
  assert.equal(decrypt([after1.primary], peerToken).toString(), 'from peer');

  repo.rotate();
  repo.rotate();
  assert.throws(() => decrypt(repo.load().all, oldToken));
});

test('clear errors for missing repositories and bad key files', async () => {
  const missing = new FernetKeyRepository({ dir: join(root, 'does-not-exist') });
  assert.throws(
    () => missing.load(),
    (e: unknown) => e instanceof FernetKeyRepositoryError && e.message.includes('does-not-exist'),
  );
  assert.throws(() => missing.rotate(), FernetKeyRepositoryError);

  const dir = freshDir();
  const repo = new FernetKeyRepository({ dir });
  repo.setup();
  await writeFile(join(dir, 'README'), 'not a key'); // non-numeric names are ignored
  await writeFile(join(dir, '0.tmp'), 'junk');
  assert.equal(repo.load().all.length, 2);
  await writeFile(join(dir, '1'), 'garbage', { mode: 0o600 });
  assert.throws(
    () => repo.load(),
    (e: unknown) => e instanceof FernetKeyRepositoryError && e.message.includes(join(dir, '1')),
  );
  await writeFile(join(dir, '1'), '');
  assert.throws(() => repo.load(), /Invalid Fernet key file/);
});

test('rotate refuses a repository without a staged key; setup repairs it', async () => {
  const dir = freshDir();
  const repo = new FernetKeyRepository({ dir });
  repo.setup();
  await rm(join(dir, '0'));
  assert.throws(() => repo.rotate(), /no staged key 0/);
  assert.equal(repo.setup(), true);
  assert.deepEqual(await names(dir), ['0', '1', '2']);
});
