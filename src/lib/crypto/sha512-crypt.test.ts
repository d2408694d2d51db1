import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSha512Crypt, sha512Crypt, verifySha512Crypt } from './sha512-crypt.js';

// The SHA-512 test vectors from Drepper's SHA-crypt.txt (also reproduced by glibc crypt(3)).
const DREPPER: Array<[setting: string, password: string, expected: string]> = [
  ['$6$saltstring', 'Hello world!', '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
  [
    '$6$rounds=10000$saltstringsaltstring',
    'Hello world!',
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  ],
  [
    '$6$rounds=5000$toolongsaltstring',
    'This is just a test',
    '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
  ],
  [
    '$6$rounds=1400$anotherlongsaltstring',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
  ],
  [
    '$6$rounds=77777$short',
    'we have a short salt string but not a short password',
    '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0',
  ],
  [
    '$6$rounds=123456$asaltof16chars..',
    'a short string',
    '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1',
  ],
  [
    '$6$rounds=10$roundstoolow',
    'the minimum number is still observed',
    '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
  ],
];

// Generated once with Python's crypt.crypt (glibc/libxcrypt) on this machine.
const GLIBC: Array<[password: string, expected: string]> = [
  [
    'p\u00e4ssw\u00f6rd-with-unicode-and-a-length-over-sixty-four-bytes-xxxxxxxxxxxxxxxxxxxx',
    '$6$Zk8s/Qe1$P0apVWQffIdEdq//W9AP9GXHkz3enu2Vqn7SBXRjkEevj.g0MhhcO5n4xByFqHsZh1BHdLNstuW6XeJQSYSlC/',
  ],
  ['', '$6$rounds=5000$abc$mJP3a6FyA8uCnzRtlnNypPwjnvpi5TP9qOrInzrfDmwxUQG38PkpCPdqfTb8JQfAngapMxeim4AZ..hSdRRzD.'],
];

test('Drepper vectors', () => {
  for (const [setting, password, expected] of DREPPER) {
    assert.equal(sha512Crypt(password, setting), expected, setting);
    assert.equal(verifySha512Crypt(password, expected), true);
  }
});

test('glibc-generated vectors: unicode, > 64-byte and empty passwords', () => {
  for (const [password, expected] of GLIBC) {
    assert.equal(sha512Crypt(password, expected), expected);
    assert.equal(verifySha512Crypt(password, expected), true);
    assert.equal(verifySha512Crypt(password + 'x', expected), false);
  }
});

test('parsing', () => {
  assert.deepEqual(parseSha512Crypt('$6$salt$hash'), { rounds: 5000, explicitRounds: false, salt: 'salt' });
  assert.deepEqual(parseSha512Crypt('$6$rounds=2000000000$s'), { rounds: 999_999_999, explicitRounds: true, salt: 's' });
  assert.equal(parseSha512Crypt('$5$salt$hash'), undefined);
  assert.equal(parseSha512Crypt('$6$rounds=x$salt$hash'), undefined);
  assert.equal(parseSha512Crypt('$6$rounds=1000'), undefined);
  assert.throws(() => sha512Crypt('x', '$1$salt'), TypeError);
});

test('verify rejects wrong passwords and malformed hashes', () => {
  const [, , good] = DREPPER[0]!;
  assert.equal(verifySha512Crypt('Hello world', good), false);
  assert.equal(verifySha512Crypt('Hello world!', good.slice(0, -1)), false);
  assert.equal(verifySha512Crypt('Hello world!', good.slice(0, -1) + '2'), false);
  assert.equal(verifySha512Crypt('Hello world!', '$6$saltstring'), false);
  assert.equal(verifySha512Crypt('Hello world!', 'svn8UoSVapNtMuq1ukKS4tPQd8iK'), false);
});
