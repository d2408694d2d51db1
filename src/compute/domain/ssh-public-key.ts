import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { badRequest } from '../../lib/errors.js';

const SSH_TYPES = new Set([
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

const invalid = () => badRequest('Keypair data is invalid: failed to generate fingerprint', 'invalid_keypair');

/** Reads the SSH wire-format strings (uint32 length + bytes) of a key blob. */
function sshStrings(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) throw invalid();
    const n = blob.readUInt32BE(at);
    at += 4;
    if (at + n > blob.length) throw invalid();
    out.push(blob.subarray(at, at + n));
    at += n;
  }
  return out;
}

const colonHex = (digest: Buffer): string => digest.toString('hex').replace(/(..)(?!$)/g, '$1:');

/**
 * Validates an OpenSSH public key line (`type base64 [comment]`) and returns
 * Nova's fingerprint: MD5 of the key blob as colon-separated hex.
 */
export function sshFingerprint(publicKey: string): string {
  const parts = publicKey.trim().split(/\s+/);
  if (parts.length < 2 || !SSH_TYPES.has(parts[0]!) || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1]!)) throw invalid();
  const blob = Buffer.from(parts[1]!, 'base64');
  const fields = sshStrings(blob);
  if (fields[0]?.toString('latin1') !== parts[0]) throw invalid();
  const type = parts[0]!;
  const ok =
    (type === 'ssh-rsa' && fields.length === 3) ||
    (type === 'ssh-dss' && fields.length === 5) ||
    (type === 'ssh-ed25519' && fields.length === 2 && fields[1]!.length === 32) ||
    (type.startsWith('ecdsa-') && fields.length === 3 && fields[1]!.toString('latin1') === type.slice('ecdsa-sha2-'.length)) ||
    type.startsWith('sk-');
  if (!ok) throw invalid();
  return colonHex(createHash('md5').update(blob).digest());
}

/** Validates a PEM X.509 certificate; Nova's fingerprint is the SHA-1 of its DER form. */
export function x509Fingerprint(pem: string): string {
  try {
    return colonHex(createHash('sha1').update(new X509Certificate(pem).raw).digest());
  } catch {
    throw badRequest('Keypair data is invalid: failed to generate fingerprint', 'invalid_keypair');
  }
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An SSH mpint: big-endian, with a leading zero byte when the high bit is set. */
function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** A new RSA key pair as Nova generates it: PKCS#1 PEM private key and an OpenSSH public key line. */
export function generateSshKeyPair(comment: string): { privateKey: string; publicKey: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    mpint(Buffer.from(jwk.e!, 'base64url')),
    mpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
  const line = `ssh-rsa ${blob.toString('base64')} ${comment}`;
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: line,
    fingerprint: colonHex(createHash('md5').update(blob).digest()),
  };
}
