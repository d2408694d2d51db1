import { test } from 'node:test';
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';
import { FernetKey, InvalidFernetToken, decrypt, encrypt, type FernetFailure } from './fernet.js';

// Official vectors, github.com/fernet/spec generate.json / verify.json.
const SPEC_SECRET = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const SPEC_TOKEN = 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==';
const SPEC_IV = Uint8Array.from({ length: 16 }, (_, i) => i);
const SPEC_GENERATE_NOW = Date.parse('1985-10-26T01:20:00-07:00') / 1000; // 499162800, the token's timestamp
const SPEC_VERIFY_NOW = Date.parse('1985-10-26T01:20:01-07:00') / 1000; // 499162801

// Generated once with Python `cryptography` 48.0.0 (Fernet._encrypt_from_parts / encrypt_at_time).
const PY_KEY = 'ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM=';
const PY_FIXED = {
  plaintext: '{"user_id":"abc","methods":["password"]}',
  now: 1700000000,
  iv: Uint8Array.from({ length: 16 }, (_, i) => 200 + i),
  token:
    'gAAAAABlU_EAyMnKy8zNzs_Q0dLT1NXW11v2bE4vTDkGCqPr9QRp5E4hjg9BWE7m37jQb_xJqpoLYEGWcFhCJw1vFRo9fTF0_586lgr7HxtwF13RxmO_FD5_0WFkCkVjLfDqIJW6bYQS',
};
const PY_EMPTY = 'gAAAAABlU_F7BjxMR1VN5kxYJFu2h1TRYm7L6xX07ri4OIfpB7kvUrPcJiI_rZD-gH6gndTjdP2_KodU6d88NT3zSgA6o5LhsQ==';
const PY_LONG = {
  plaintext: Buffer.concat([
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    Buffer.from('kumo'),
  ]),
  token:
    'gAAAAABlU_LIkDRVDJExLSWHHSqaRDh0oLNZvbHvcd-FQy9iGs9Nwp4i8GQN3Ak0GGoOwnCuqnnLUHX3_u4EP490yKuBdtbZkKX3QJfskxyQz30Q-wxOlxaxOy39gC2VgeExMoQ-s9tCLsmpYxZXbyTJm3aghCW4XCbIlAwr59ITimvpQbwNEn-JgQBOMGFHnk5hJrLFlCSwfBXEtWKqeDvBWiTktd4FKFuc_QCuaJ11W077DRgvzK2R9bt_lamx6iljyb_ARVMalTlnAS4RHTsqefSPTZSC-_IQ6CEXvvxdUJTB1VmgW0jVqkgSnQxUuT7bHtIzxNbah59rsPsaOb9NdLWC8RMkpOEeIBR1yS-xPj-qwVs42P0-bEZ5CGEekF8fKwRQAo5Jx3dyzGZrUUudMo2zvYTmhcuLRNglJezbf3CBNQHxWKoxAqlAQO9DkPqugHrO-WTQLod-lm5kbK3-UWyH2yNcbyW8sPePx5Nx4ctRyH3FazlBH3l1aOh6ZchloFCc3SaiLgKywz94hqotgMNp1twyDsVMPmWeESJeqk3FN5YpJkKW6IpFIHujItuEy0B_avzn8AWADpVhLW6c7c9jWyxhvqQJcPF3k5NrnYFuNOdid630iWYW88YTqg0TGWhI8nFVElpr7N7DCoyvsiu6qrCom8T2fCcpf2bEpM9a8jXrgBFpyzfG5KzNldbcE6lPibl-LFdMt6Eo7iU4QAtCB7d4hXSFXxPovkySfeAxTScyUxLB5rRzlq2ExV4GDs8f_wZz',
};
// Produced by this module (random IV) and checked once with Python: Fernet(PY_KEY).decrypt(...) == plaintext.
const OURS_VERIFIED_BY_PY = {
  plaintext: 'from kumo with love \u00e9',
  now: 1700000999,
  token: 'gAAAAABlU_TnTopT4rW2ptfXIahPB7hEkCeh-Ap0Aii1zun_SFwdh30recLECKuwECffmAtdDiocZDmfU7ZTeHpXyS2yBtij1_6RgPzxr3X-mF-qd28EPLE=',
};

function rejects(fn: () => unknown, reason?: FernetFailure): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidFernetToken, `expected InvalidFernetToken, got ${String(err)}`);
    if (reason !== undefined) assert.equal(err.reason, reason);
    return true;
  });
}

const b64 = (buf: Buffer): string => buf.toString('base64url');

test('spec generate vector', () => {
  assert.equal(encrypt(new FernetKey(SPEC_SECRET), Buffer.from('hello'), SPEC_GENERATE_NOW, SPEC_IV), SPEC_TOKEN);
});

test('spec verify vector (ttl 60)', () => {
  const out = decrypt([new FernetKey(SPEC_SECRET)], SPEC_TOKEN, { ttlSeconds: 60, nowSeconds: SPEC_VERIFY_NOW });
  assert.equal(out.toString(), 'hello');
});

test('spec invalid vectors', () => {
  // From invalid.json; all with ttl 60 and now 01:20:01 unless noted.
  const cases: Array<[string, string, number?]> = [
    ['incorrect mac', 'gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ=='],
    ['too short', 'gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA=='],
    ['invalid base64', '%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q=='],
    ['payload not block multiple', 'gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm'],
    ['payload padding error', 'gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw=='],
    ['far-future ts', 'gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw=='],
    [
      'expired ttl',
      'gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==',
      Date.parse('1985-10-26T01:21:31-07:00') / 1000,
    ],
    ['incorrect IV', 'gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ=='],
    ['trailing data after padding', SPEC_TOKEN + 'trailingdata'],
    ['invalid characters', '*gAAAAAAdwJ6wAAECAwQFBgcI!CQoLDA0ODy021?cpGVWKZ_eEwC@GM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=='],
    ['non-urlsafe characters', 'gAAAAAAdwJ6wAAEC/AwQFBgcICQoLDA0ODy+021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=='],
  ];
  const keys = [new FernetKey(SPEC_SECRET)];
  for (const [desc, token, now] of cases) {
    assert.throws(() => decrypt(keys, token, { ttlSeconds: 60, nowSeconds: now ?? SPEC_VERIFY_NOW }), InvalidFernetToken, desc);
  }
});

test('python cryptography vectors decrypt', () => {
  const keys = [new FernetKey(PY_KEY)];
  assert.equal(decrypt(keys, PY_FIXED.token).toString(), PY_FIXED.plaintext);
  assert.equal(decrypt(keys, PY_EMPTY).length, 0);
  assert.deepEqual(decrypt(keys, PY_LONG.token), PY_LONG.plaintext);
  assert.equal(decrypt(keys, OURS_VERIFIED_BY_PY.token).toString(), OURS_VERIFIED_BY_PY.plaintext);
});

test('our output is byte-identical to python for the same key, time and IV', () => {
  const token = encrypt(new FernetKey(PY_KEY), Buffer.from(PY_FIXED.plaintext), PY_FIXED.now, PY_FIXED.iv);
  assert.equal(token, PY_FIXED.token);
});

test('unpadded tokens (as Keystone issues them) are accepted; broken padding is not', () => {
  const keys = [new FernetKey(SPEC_SECRET)];
  assert.equal(decrypt(keys, SPEC_TOKEN.replace(/=+$/, '')).toString(), 'hello');
  rejects(() => decrypt(keys, SPEC_TOKEN.replace(/=+$/, '=')), 'malformed');
  rejects(() => decrypt(keys, SPEC_TOKEN + '='), 'malformed');
});

test('round trip, random IV, padded url-safe output', () => {
  const key = new FernetKey(FernetKey.generate());
  for (const len of [0, 1, 15, 16, 17, 255, 1000]) {
    const pt = Buffer.alloc(len, 0xab);
    const token = encrypt(key, pt);
    assert.match(token, /^gAAAAA[A-Za-z0-9_-]+=*$/);
    assert.equal(token.length % 4, 0);
    assert.deepEqual(decrypt([key], token), pt);
  }
  assert.notEqual(encrypt(key, Buffer.from('x'), 1), encrypt(key, Buffer.from('x'), 1));
});

test('key parsing', () => {
  const generated = FernetKey.generate();
  assert.match(generated, /^[A-Za-z0-9_-]{43}=$/);
  assert.doesNotThrow(() => new FernetKey(generated.slice(0, 43)));
  assert.doesNotThrow(() => new FernetKey(generated + '\n'));
  assert.throws(() => new FernetKey('short'), TypeError);
  assert.throws(() => new FernetKey(Buffer.alloc(31).toString('base64url')), TypeError);
  assert.throws(() => new FernetKey(Buffer.alloc(32, 0xff).toString('base64')), TypeError); // '/' is not url-safe
});

test('tampering with any byte region is rejected', () => {
  const key = new FernetKey(FernetKey.generate());
  const raw = Buffer.from(encrypt(key, Buffer.from('some token payload, two blocks long'), 1_700_000_000), 'base64url');
  const regions: Record<string, number[]> = {
    version: [0],
    timestamp: [1, 4, 8],
    iv: [9, 17, 24],
    ciphertext: [25, 40, raw.length - 33],
    hmac: [raw.length - 32, raw.length - 1],
  };
  for (const [region, offsets] of Object.entries(regions)) {
    for (const off of offsets) {
      const copy = Buffer.from(raw);
      copy[off] = (copy[off] ?? 0) ^ 0x01;
      rejects(() => decrypt([key], b64(copy)), region === 'version' ? 'bad_version' : 'bad_signature');
    }
  }
  rejects(() => decrypt([key], b64(raw.subarray(0, raw.length - 1))), 'malformed');
  rejects(() => decrypt([key], b64(raw.subarray(0, 72))), 'malformed');
  rejects(() => decrypt([key], b64(Buffer.concat([raw, Buffer.alloc(16)]))), 'bad_signature');
  rejects(() => decrypt([key], ''), 'malformed');
});

test('authentic token with bad padding is rejected', () => {
  // A correctly signed ciphertext whose last block no longer decrypts to valid PKCS7.
  const signer = new FernetKey(SPEC_SECRET);
  const raw = Buffer.from(SPEC_TOKEN, 'base64url');
  const body = raw.subarray(0, raw.length - 32);
  body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x01; // corrupt the last ciphertext byte, then re-sign
  const mac = createHmac('sha256', signer.signingKey).update(body).digest();
  rejects(() => decrypt([signer], b64(Buffer.concat([body, mac]))), 'bad_padding');
});

test('wrong key is rejected', () => {
  const token = encrypt(new FernetKey(FernetKey.generate()), Buffer.from('x'));
  rejects(() => decrypt([new FernetKey(FernetKey.generate())], token), 'bad_signature');
  rejects(() => decrypt([], token), 'no_keys');
});

test('multiple keys are tried in order, like MultiFernet', () => {
  const [a, b, c] = [FernetKey.generate(), FernetKey.generate(), FernetKey.generate()].map((k) => new FernetKey(k)) as [
    FernetKey,
    FernetKey,
    FernetKey,
  ];
  const fromC = encrypt(c, Buffer.from('old'));
  const fromA = encrypt(a, Buffer.from('new'));
  assert.equal(decrypt([a, b, c], fromC).toString(), 'old');
  assert.equal(decrypt([a, b, c], fromA).toString(), 'new');
  assert.equal(decrypt([c, a], fromA).toString(), 'new');
  rejects(() => decrypt([a, b], fromC), 'bad_signature');
});

test('ttl and clock skew', () => {
  const key = new FernetKey(FernetKey.generate());
  const token = encrypt(key, Buffer.from('t'), 1000);
  assert.equal(decrypt([key], token, { ttlSeconds: 10, nowSeconds: 1010 }).toString(), 't');
  rejects(() => decrypt([key], token, { ttlSeconds: 10, nowSeconds: 1011 }), 'expired');
  assert.equal(decrypt([key], token, { ttlSeconds: 10, nowSeconds: 940 }).toString(), 't'); // 60 s skew allowed
  rejects(() => decrypt([key], token, { ttlSeconds: 10, nowSeconds: 939 }), 'from_future');
  // Without a ttl the timestamp is not checked at all (as cryptography).
  assert.equal(decrypt([key], token, { nowSeconds: 10 ** 9 }).toString(), 't');
});
