import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/**
 * Self-signed X.509 certificates for Nova's generated `x509` key pairs
 * (type x509 without a public key, 2.2+). node:crypto parses certificates but
 * cannot issue them, so the DER is assembled here: it is a short, fixed shape.
 */
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const oid = (bytes: number[]) => der(0x06, Buffer.from(bytes));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const printable = (s: string) => der(0x13, Buffer.from(s, 'ascii'));

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(s, 'ascii'));
}

const SHA256_WITH_RSA = seq(oid([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), Buffer.from([0x05, 0x00]));
const attr = (type: number, value: Buffer) => set(seq(oid([0x55, 0x04, type]), value));

const colonHex = (digest: Buffer): string => digest.toString('hex').replace(/(..)(?!$)/g, '$1:');

/** A 2048-bit RSA key and a one-year self-signed certificate naming the user and project, as Nova issues them. */
export function generateX509KeyPair(userId: string, projectId: string): { privateKey: string; certificate: string; fingerprint: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serialBytes = randomBytes(8);
  serialBytes[0]! &= 0x7f; // positive INTEGER
  const name = seq(
    attr(0x06, printable('US')),
    attr(0x08, utf8('California')),
    attr(0x0a, utf8('OpenStack')),
    attr(0x0b, utf8('NovaDev')),
    attr(0x03, utf8(`${projectId.slice(0, 16)}-${userId.slice(0, 16)}-${new Date().toISOString().replace(/[-:.]/g, '')}`)),
  );
  const now = new Date();
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([0x02]))),
    der(0x02, serialBytes),
    SHA256_WITH_RSA,
    name,
    seq(utcTime(now), utcTime(new Date(now.getTime() + 365 * 86400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, SHA256_WITH_RSA, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n');
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    certificate: `-----BEGIN CERTIFICATE-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END CERTIFICATE-----\n`,
    fingerprint: colonHex(createHash('sha1').update(cert).digest()),
  };
}
