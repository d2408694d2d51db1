/**
 * Password hashing for the identity service. New hashes are argon2id (PHC
 * string); verification also accepts the formats a Keystone database may hold
 * (bcrypt, sha512_crypt, passlib pbkdf2_sha512) so users can be imported and
 * upgraded on their next login via `needsRehash`.
 */
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { hash as argon2Hash, parseOptions as argon2ParseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import { ConcurrencyLimit } from '../concurrency-limit.js';
import { compare as bcryptCompare } from 'bcryptjs';
import { verifySha512Crypt } from './sha512-crypt.js';

const pbkdf2Async = promisify(pbkdf2);

// The package declares these as `const enum`s but its runtime exports are
// empty objects, so use the numeric values rather than `Algorithm.Argon2id`.
const ARGON2ID: Algorithm = 2;
const ARGON2_VERSION_0x13 = 1;

export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over memory. */
  timeCost: number;
  /** Lanes (threads) per hash. */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's argon2id baseline (m=19 MiB, t=2, p=1). */
export const ARGON2_DEFAULTS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

function validateParams(p: Argon2Params): Readonly<Argon2Params> {
  const { memoryCost, timeCost, parallelism } = p;
  const ok =
    [memoryCost, timeCost, parallelism].every(Number.isInteger) &&
    parallelism >= 1 &&
    parallelism <= 255 &&
    timeCost >= 1 &&
    memoryCost >= 8 * parallelism; // argon2's own lower bound
  if (!ok) throw new RangeError(`invalid argon2 parameters ${JSON.stringify(p)}`);
  return Object.freeze({ memoryCost, timeCost, parallelism });
}

/**
 * argon2 runs on libuv's pool (4 threads by default); on fewer cores, more
 * hashes at once only stretch each one and starve the event loop. Measured on
 * 2 cores: +10% logins/s and a lower p99 (docs/benchmarks.md).
 */
const HASHING = new ConcurrencyLimit(Math.max(1, availableParallelism()));

/**
 * Hashes `plain` with argon2id into a `$argon2id$v=19$m=..,t=..,p=..$salt$hash`
 * string. Parameters left out take their ARGON2_DEFAULTS value.
 */
export function hashPassword(plain: string, params: Partial<Argon2Params> = {}): Promise<string> {
  return HASHING.run(() => argon2Hash(plain, { ...ARGON2_DEFAULTS, ...params, algorithm: ARGON2ID }));
}

/**
 * Checks `plain` against any supported stored hash. Never throws because of
 * the stored value: unknown or malformed formats simply do not match.
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof stored !== 'string') return false;
  try {
    if (/^\$argon2(?:id|i|d)\$/.test(stored)) return await HASHING.run(() => argon2Verify(stored, plain));
    if (/^\$2[aby]\$/.test(stored)) return await bcryptCompare(plain, stored);
    if (stored.startsWith('$6$')) return verifySha512Crypt(plain, stored);
    if (stored.startsWith('$pbkdf2-sha512$')) return await verifyPbkdf2Sha512(plain, stored);
  } catch {
    // Malformed stored hash (bad PHC string, bad bcrypt salt, ...): treat as a mismatch.
  }
  return false;
}

/** True unless `stored` is argon2id (v19) with exactly the given parameters (defaults filled in). */
export function needsRehash(stored: string, params: Partial<Argon2Params> = {}): boolean {
  if (typeof stored !== 'string' || !stored.startsWith('$argon2id$')) return true;
  const want = { ...ARGON2_DEFAULTS, ...params };
  try {
    const o = argon2ParseOptions(stored);
    return !(
      o.algorithm === ARGON2ID &&
      o.version === ARGON2_VERSION_0x13 &&
      o.memoryCost === want.memoryCost &&
      o.timeCost === want.timeCost &&
      o.parallelism === want.parallelism
    );
  } catch {
    return true;
  }
}

/** The same operations bound to configured parameters, for constructor injection. */
export class PasswordHasher {
  readonly params: Readonly<Argon2Params>;

  constructor(params: Partial<Argon2Params> = {}) {
    this.params = validateParams({ ...ARGON2_DEFAULTS, ...params });
  }

  hashPassword(plain: string): Promise<string> {
    return hashPassword(plain, this.params);
  }

  verifyPassword(plain: string, stored: string): Promise<boolean> {
    return verifyPassword(plain, stored);
  }

  needsRehash(stored: string): boolean {
    return needsRehash(stored, this.params);
  }
}

/** Adapted base64 as passlib writes it: standard alphabet with '.' for '+', no padding. */
const AB64 = /^[A-Za-z0-9./]+$/;
const decodeAb64 = (s: string): Buffer | undefined =>
  AB64.test(s) && s.length % 4 !== 1 ? Buffer.from(s.replaceAll('.', '+'), 'base64') : undefined;

/** passlib `pbkdf2_sha512`: `$pbkdf2-sha512$<rounds>$<ab64 salt>$<ab64 64-byte digest>`. */
async function verifyPbkdf2Sha512(plain: string, stored: string): Promise<boolean> {
  const [, , roundsStr = '', saltStr = '', digestStr = '', ...extra] = stored.split('$');
  const rounds = /^[1-9][0-9]{0,9}$/.test(roundsStr) ? Number(roundsStr) : 0;
  const salt = decodeAb64(saltStr);
  const expected = decodeAb64(digestStr);
  if (extra.length > 0 || rounds < 1 || rounds > 0xffffffff || !salt || expected?.length !== 64) return false;
  const actual = await pbkdf2Async(plain, salt, rounds, 64, 'sha512');
  return timingSafeEqual(actual, expected);
}
