import { decode, encode } from '@msgpack/msgpack';
import { type FernetKey, InvalidFernetToken, decrypt, encrypt } from '../../lib/crypto/fernet.js';

/** What a Fernet token carries; everything else is looked up at validation. */
export interface TokenPayload {
  userId: string;
  methods: string[];
  scope: { kind: 'unscoped' } | { kind: 'project'; id: string } | { kind: 'domain'; id: string } | { kind: 'system' };
  /** Epoch milliseconds. */
  expiresAt: number;
  issuedAt: number;
  /** [own audit ID, ...chain]: a rescoped token keeps its parent's as the last one. */
  auditIds: string[];
  appCredId?: string;
  /** Set on a trust-scoped token: userId is then the trustee who authenticated. */
  trustId?: string;
}

const VERSION = 1;
const METHODS = ['password', 'token', 'application_credential', 'totp', 'mapped', 'external'] as const;
const SCOPES = ['unscoped', 'project', 'domain', 'system'] as const;

function methodsMask(methods: string[]): number {
  let mask = 0;
  for (const m of methods) {
    const i = (METHODS as readonly string[]).indexOf(m);
    if (i >= 0) mask |= 1 << i;
  }
  return mask;
}

function maskMethods(mask: number): string[] {
  return METHODS.filter((_, i) => (mask & (1 << i)) !== 0);
}

/** Serialises and encrypts a payload; like Keystone, the padding is stripped so tokens are URL-safe. */
export function sealToken(key: FernetKey, p: TokenPayload): string {
  const scopeKind = SCOPES.indexOf(p.scope.kind);
  const scopeId = 'id' in p.scope ? p.scope.id : null;
  const packed = encode([
    VERSION,
    p.userId,
    methodsMask(p.methods),
    scopeKind,
    scopeId,
    p.expiresAt,
    p.issuedAt,
    p.auditIds,
    p.appCredId ?? null,
    ...(p.trustId ? [p.trustId] : []),
  ]);
  return encrypt(key, packed, Math.floor(p.issuedAt / 1000)).replace(/=+$/, '');
}

/** Decrypts and parses a token; undefined when it is not one of ours. */
export function openToken(keys: readonly FernetKey[], token: string): TokenPayload | undefined {
  if (token.length > 1024 || !/^[A-Za-z0-9_-]+=*$/.test(token)) return undefined;
  let raw: Buffer;
  try {
    raw = decrypt(keys, token);
  } catch (e) {
    if (e instanceof InvalidFernetToken) return undefined;
    throw e;
  }
  let v: unknown;
  try {
    v = decode(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v[0] !== VERSION || (v.length !== 9 && v.length !== 10)) return undefined;
  // Tokens sealed before trusts existed have 9 elements; the 10th is the trust ID.
  const [, userId, mask, scopeKind, scopeId, expiresAt, issuedAt, auditIds, appCredId, trustId] = v as [
    number,
    string,
    number,
    number,
    string | null,
    number,
    number,
    string[],
    string | null,
    (string | null)?,
  ];
  const kind = SCOPES[scopeKind];
  if (typeof userId !== 'string' || !kind || typeof expiresAt !== 'number' || !Array.isArray(auditIds)) return undefined;
  const scope: TokenPayload['scope'] =
    kind === 'project' || kind === 'domain' ? { kind, id: String(scopeId) } : kind === 'system' ? { kind } : { kind: 'unscoped' };
  return {
    userId,
    methods: maskMethods(mask),
    scope,
    expiresAt,
    issuedAt,
    auditIds,
    ...(appCredId ? { appCredId } : {}),
    ...(typeof trustId === 'string' && trustId ? { trustId } : {}),
  };
}
