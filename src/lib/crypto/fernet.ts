/**
 * Fernet (https://github.com/fernet/spec), byte-compatible with Python's
 * `cryptography.fernet`, which Keystone uses for its tokens:
 *
 *   0x80 | timestamp (u64 BE) | IV (16) | AES-128-CBC/PKCS7 ciphertext | HMAC-SHA256 (32)
 *
 * `decrypt` sits on the token-validation hot path, so keys are decoded once in
 * FernetKey and the token buffer is only ever sliced, not copied.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

const VERSION = 0x80;
const HEADER_LEN = 1 + 8 + 16; // version + timestamp + IV
const HMAC_LEN = 32;
const BLOCK = 16;
/** Smallest valid token: header, one ciphertext block, HMAC. */
const MIN_LEN = HEADER_LEN + BLOCK + HMAC_LEN;
/** Same tolerance as cryptography's _MAX_CLOCK_SKEW for tokens "from the future". */
const MAX_CLOCK_SKEW = 60;
const B64URL_BODY = /^[A-Za-z0-9_-]*$/;

export type FernetFailure = 'no_keys' | 'malformed' | 'bad_version' | 'bad_signature' | 'bad_padding' | 'expired' | 'from_future';

/** Any reason a token is rejected; `reason` is for logs, never for clients. */
export class InvalidFernetToken extends Error {
  readonly reason: FernetFailure;
  constructor(reason: FernetFailure) {
    super(`invalid Fernet token (${reason})`);
    this.name = 'InvalidFernetToken';
    this.reason = reason;
  }
}

/** Strict url-safe base64 decode accepting padded (cryptography) or unpadded (Keystone strips '=') input. */
function decodeB64Url(s: string): Buffer | undefined {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  const pad = s.length - end;
  const body = pad === 0 ? s : s.slice(0, end);
  if (body.length % 4 === 1 || !B64URL_BODY.test(body)) return undefined;
  if (pad !== 0 && (pad > 2 || s.length % 4 !== 0)) return undefined;
  return Buffer.from(body, 'base64url');
}

function encodeB64UrlPadded(buf: Buffer): string {
  const s = buf.toString('base64url');
  const rem = s.length % 4;
  return rem === 0 ? s : s + '='.repeat(4 - rem);
}

export class FernetKey {
  readonly signingKey: KeyObject;
  readonly encryptionKey: KeyObject;

  /** A fresh key in the format `Fernet.generate_key()` and keystone-manage write. */
  static generate(): string {
    return encodeB64UrlPadded(randomBytes(32));
  }

  constructor(b64key: string) {
    const raw = decodeB64Url(b64key.trim());
    if (raw === undefined || raw.length !== 32) {
      throw new TypeError('Fernet key must be 32 url-safe base64-encoded bytes');
    }
    this.signingKey = createSecretKey(raw.subarray(0, 16));
    this.encryptionKey = createSecretKey(raw.subarray(16, 32));
    raw.fill(0);
  }
}

/**
 * Encrypts and signs `plaintext`. `iv` exists only to reproduce spec vectors;
 * production callers must let it default to random bytes.
 */
export function encrypt(
  key: FernetKey,
  plaintext: Uint8Array,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  iv: Uint8Array = randomBytes(BLOCK),
): string {
  if (iv.length !== BLOCK) throw new TypeError('Fernet IV must be 16 bytes');
  const ctLen = (Math.floor(plaintext.length / BLOCK) + 1) * BLOCK;
  const out = Buffer.allocUnsafe(HEADER_LEN + ctLen + HMAC_LEN);
  out[0] = VERSION;
  // Two 32-bit writes avoid BigInt; exact for any timestamp below 2^53.
  out.writeUInt32BE(Math.floor(nowSeconds / 2 ** 32), 1);
  out.writeUInt32BE(nowSeconds >>> 0, 5);
  out.set(iv, 9);
  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, iv);
  const head = cipher.update(plaintext);
  out.set(head, HEADER_LEN);
  out.set(cipher.final(), HEADER_LEN + head.length);
  const signed = out.subarray(0, HEADER_LEN + ctLen);
  createHmac('sha256', key.signingKey).update(signed).digest().copy(out, signed.length);
  return encodeB64UrlPadded(out);
}

export interface DecryptOptions {
  /** Reject tokens older than this many seconds (as `Fernet.decrypt(token, ttl)`). */
  ttlSeconds?: number;
  nowSeconds?: number;
}

/**
 * Verifies and decrypts `token`, trying each key in order like MultiFernet.
 * Throws InvalidFernetToken on every kind of failure.
 */
export function decrypt(keys: readonly FernetKey[], token: string, opts: DecryptOptions = {}): Buffer {
  if (keys.length === 0) throw new InvalidFernetToken('no_keys');
  const data = decodeB64Url(token);
  if (data === undefined || data.length < MIN_LEN || (data.length - HEADER_LEN - HMAC_LEN) % BLOCK !== 0) {
    throw new InvalidFernetToken('malformed');
  }
  if (data[0] !== VERSION) throw new InvalidFernetToken('bad_version');

  const macOffset = data.length - HMAC_LEN;
  const signed = data.subarray(0, macOffset);
  const mac = data.subarray(macOffset);
  let failure: FernetFailure = 'bad_signature';
  for (const key of keys) {
    const expected = createHmac('sha256', key.signingKey).update(signed).digest();
    if (!timingSafeEqual(expected, mac)) continue;
    if (opts.ttlSeconds !== undefined) {
      const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
      const timestamp = data.readUInt32BE(1) * 2 ** 32 + data.readUInt32BE(5);
      if (timestamp + opts.ttlSeconds < now) throw new InvalidFernetToken('expired');
      if (now + MAX_CLOCK_SKEW < timestamp) throw new InvalidFernetToken('from_future');
    }
    // The token is authentic here, so unpadding by hand cannot become a padding oracle,
    // and it saves the copy that update() + final() would need.
    const decipher = createDecipheriv('aes-128-cbc', key.encryptionKey, data.subarray(9, HEADER_LEN));
    decipher.setAutoPadding(false);
    const padded = decipher.update(data.subarray(HEADER_LEN, macOffset));
    const plainLen = unpadLength(padded);
    if (plainLen >= 0) return padded.subarray(0, plainLen);
    // A key whose signing half matches but whose encryption half does not;
    // keep trying, as MultiFernet would.
    failure = 'bad_padding';
  }
  throw new InvalidFernetToken(failure);
}

/** Length of the PKCS7-unpadded data, or -1 when the padding is invalid. */
function unpadLength(buf: Buffer): number {
  const n = buf[buf.length - 1] ?? 0;
  if (n < 1 || n > BLOCK || n > buf.length) return -1;
  for (let i = buf.length - n; i < buf.length - 1; i++) if (buf[i] !== n) return -1;
  return buf.length - n;
}
