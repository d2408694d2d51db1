/**
 * SHA-512 crypt (`$6$`), Ulrich Drepper's "Unix crypt using SHA-256 and
 * SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt). Only needed to
 * verify hashes imported from Keystone/glibc; new hashes use argon2id.
 */
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';

const PREFIX = '$6$';
const ROUNDS_PREFIX = 'rounds=';
const DEFAULT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;
const MAX_SALT = 16;
const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Byte triples of the final digest, in the order the spec encodes them. */
const ENCODE_ORDER: ReadonlyArray<readonly [number, number, number]> = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

const sha512 = (): Hash => createHash('sha512');

/** `len` bytes of `block` repeated (steps 16 and 20 of the spec). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  for (let off = 0; off < len; off += block.length) block.copy(out, off, 0, Math.min(block.length, len - off));
  return out;
}

function b64From24(out: string[], b2: number, b1: number, b0: number, n: number): void {
  let w = (b2 << 16) | (b1 << 8) | b0;
  for (let i = 0; i < n; i++, w >>>= 6) out.push(ALPHABET[w & 63] as string);
}

export interface Sha512CryptSetting {
  rounds: number;
  /** Whether `rounds=` was spelled out; it is then echoed in the output even when 5000. */
  explicitRounds: boolean;
  salt: string;
}

/** Parses `$6$[rounds=N$]salt[$hash]`; returns undefined when it is not a SHA-512 crypt string. */
export function parseSha512Crypt(setting: string): Sha512CryptSetting | undefined {
  if (!setting.startsWith(PREFIX)) return undefined;
  let rest = setting.slice(PREFIX.length);
  let rounds = DEFAULT_ROUNDS;
  let explicitRounds = false;
  if (rest.startsWith(ROUNDS_PREFIX)) {
    const end = rest.indexOf('$');
    const digits = rest.slice(ROUNDS_PREFIX.length, end);
    if (end < 0 || !/^[0-9]{1,10}$/.test(digits)) return undefined;
    // Out-of-range values are clamped, not rejected, as glibc does.
    rounds = Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Number(digits)));
    explicitRounds = true;
    rest = rest.slice(end + 1);
  }
  const dollar = rest.indexOf('$');
  const salt = (dollar < 0 ? rest : rest.slice(0, dollar)).slice(0, MAX_SALT);
  return { rounds, explicitRounds, salt };
}

/** Computes the full `$6$...` string for `password` with the salt and rounds taken from `setting`. */
export function sha512Crypt(password: string | Uint8Array, setting: string): string {
  const parsed = parseSha512Crypt(setting);
  if (parsed === undefined) throw new TypeError('not a $6$ SHA-512 crypt setting');
  const { rounds, explicitRounds, salt } = parsed;
  const p = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  const s = Buffer.from(salt, 'utf8');

  const b = sha512().update(p).update(s).update(p).digest();
  const a = sha512().update(p).update(s).update(repeatTo(b, p.length));
  for (let len = p.length; len > 0; len >>>= 1) a.update(len & 1 ? b : p);
  let c = a.digest();

  const dp = sha512();
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pSeq = repeatTo(dp.digest(), p.length);

  const ds = sha512();
  for (let i = 0; i < 16 + (c[0] ?? 0); i++) ds.update(s);
  const sSeq = ds.digest().subarray(0, s.length);

  for (let i = 0; i < rounds; i++) {
    const h = sha512().update(i & 1 ? pSeq : c);
    if (i % 3 !== 0) h.update(sSeq);
    if (i % 7 !== 0) h.update(pSeq);
    c = h.update(i & 1 ? c : pSeq).digest();
  }

  const out: string[] = [];
  for (const [x, y, z] of ENCODE_ORDER) b64From24(out, c[x] ?? 0, c[y] ?? 0, c[z] ?? 0, 4);
  b64From24(out, 0, 0, c[63] ?? 0, 2);
  const roundsPart = explicitRounds ? `${ROUNDS_PREFIX}${rounds}$` : '';
  return `${PREFIX}${roundsPart}${salt}$${out.join('')}`;
}

/** Timing-safe check of `password` against a stored `$6$` hash; false for anything malformed. */
export function verifySha512Crypt(password: string | Uint8Array, stored: string): boolean {
  if (parseSha512Crypt(stored) === undefined) return false;
  const expected = Buffer.from(stored, 'utf8');
  const actual = Buffer.from(sha512Crypt(password, stored), 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
