import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash as bcryptHash } from 'bcryptjs';
import { ARGON2_DEFAULTS, PasswordHasher, hashPassword, needsRehash, verifyPassword } from './password-hasher.js';

// Cheap parameters keep the suite fast; the defaults are exercised once, in the timing test.
const FAST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

test('argon2id with the default parameters (timing printed)', async () => {
  const timed = async (): Promise<[string, number]> => {
    const start = performance.now();
    const h = await hashPassword('correct horse battery staple');
    return [h, performance.now() - start];
  };
  const [stored, first] = await timed();
  const [, second] = await timed();
  const { memoryCost: m, timeCost: t, parallelism: p } = ARGON2_DEFAULTS;
  console.log(`argon2id hash m=${m} t=${t} p=${p}: first ${first.toFixed(1)} ms, second ${second.toFixed(1)} ms`);
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await verifyPassword('correct horse battery staple', stored), true);
  assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
  assert.equal(needsRehash(stored), false);
});

test('argon2id round trip, salts differ, unicode and empty passwords', async () => {
  const hasher = new PasswordHasher(FAST);
  const a = await hasher.hashPassword('pässwörd ☁');
  const b = await hasher.hashPassword('pässwörd ☁');
  assert.notEqual(a, b);
  assert.equal(await hasher.verifyPassword('pässwörd ☁', a), true);
  assert.equal(await hasher.verifyPassword('password ☁', a), false);
  assert.equal(await hasher.verifyPassword('', await hasher.hashPassword('')), true);
});

test('needsRehash', async () => {
  const hasher = new PasswordHasher(FAST);
  const current = await hasher.hashPassword('pw');
  assert.equal(hasher.needsRehash(current), false);
  assert.equal(new PasswordHasher({ ...FAST, timeCost: 2 }).needsRehash(current), true);
  assert.equal(needsRehash(current), true); // differs from the defaults
  assert.equal(needsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'), true);
  assert.equal(needsRehash('$2b$10$abcdefghijklmnopqrstuu'), true);
  assert.equal(needsRehash('$argon2id$garbage'), true);
  assert.throws(() => new PasswordHasher({ parallelism: 0 }), RangeError);
  assert.throws(() => new PasswordHasher({ memoryCost: 1.5 }), RangeError);
});

test('argon2i and argon2d PHC strings verify', async () => {
  // Generated with @node-rs/argon2 (algorithm 1 = argon2i, 0 = argon2d), password "password".
  const argon2i = '$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aWfLhK8ujAAYHwmlEJzxOAN+F26LCuATIKEA/BWw34U';
  const argon2d = '$argon2d$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$tI7IDBBRUfD6PFGox60UFLOgsxY2K2SnD8BOBd03zK8';
  assert.equal(await verifyPassword('password', argon2i), true);
  assert.equal(await verifyPassword('password', argon2d), true);
  assert.equal(await verifyPassword('Password', argon2i), false);
});

test('bcrypt: $2b$ generated here, fixed $2a$ and $2y$ vectors', async () => {
  const generated = await bcryptHash('s3cret', 4);
  assert.match(generated, /^\$2b\$04\$/);
  assert.equal(await verifyPassword('s3cret', generated), true);
  assert.equal(await verifyPassword('s3cre', generated), false);
  // jBCrypt / OpenBSD test vector.
  const a = '$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i';
  assert.equal(await verifyPassword('abc', a), true);
  assert.equal(await verifyPassword('abd', a), false);
  // PHP manual's password_verify() example.
  const y = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
  assert.equal(await verifyPassword('rasmuslerdorf', y), true);
  assert.equal(await verifyPassword('rasmuslerdorF', y), false);
});

test('sha512_crypt vectors (Drepper) verify', async () => {
  const vectors: Array<[string, string]> = [
    ['Hello world!', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
    [
      'Hello world!',
      '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
    ],
  ];
  for (const [pw, stored] of vectors) {
    assert.equal(await verifyPassword(pw, stored), true);
    assert.equal(await verifyPassword(pw + ' ', stored), false);
  }
});

test('passlib pbkdf2_sha512', async () => {
  // Built with Python hashlib.pbkdf2_hmac in passlib's format (passlib is not installed here).
  const stored =
    '$pbkdf2-sha512$25000$jx46VcDem7Iad/Dk08KxoA$h.LqTpIWbkSjNDj.a.sAZoztmvRDCDv/rMuy2Qh1tNQ8ubQiRNCMpmBrA/CBORUXCc9xid6ePOwsh3NfjtHKuQ';
  assert.equal(await verifyPassword('correct horse', stored), true);
  assert.equal(await verifyPassword('correct horsE', stored), false);
  assert.equal(await verifyPassword('correct horse', stored.replace('$25000$', '$25001$')), false);
  assert.equal(await verifyPassword('correct horse', stored.replace('$25000$', '$0$')), false);
  assert.equal(await verifyPassword('correct horse', stored.slice(0, -4)), false);
});

test('unknown and malformed stored values never match and never throw', async () => {
  const values = [
    '',
    'plaintext',
    '{SSHA}abcdef',
    '$1$saltsalt$abcdefghijklmnopqrstuv', // md5_crypt
    '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF7/Hi1k', // sha256_crypt
    '$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA',
    '$argon2id$',
    '$argon2id$v=19$m=abc$$',
    '$2b$',
    '$2b$99$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234',
    '$2y$10$short',
    '$6$',
    '$6$rounds=abc$salt$hash',
    '$pbkdf2-sha512$',
    '$pbkdf2-sha512$1000$!!!$!!!',
  ];
  for (const stored of values) assert.equal(await verifyPassword('x', stored), false, stored);
  assert.equal(await verifyPassword('x', null as unknown as string), false);
});
