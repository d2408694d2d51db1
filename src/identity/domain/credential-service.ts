import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { badRequest, conflict, internalError, notFound } from '../../lib/errors.js';
import { decrypt, encrypt, type FernetKey } from '../../lib/crypto/fernet.js';
import { FernetKeyRepository } from '../../lib/crypto/fernet-key-repository.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { newId } from '../../lib/ids.js';
import { CredentialStore, type CredentialFilter } from '../store/credential-store.js';
import { readJson, writeJson } from '../store/json.js';
import type { CredentialRow } from '../store/schema.js';
import type { IdentityContext } from './identity-context.js';

/** A credential of /v3/credentials, blob decrypted. */
export interface Credential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  /** Opaque text; for type ec2, a JSON object with at least `access` and `secret`. */
  blob: string;
  extra: Record<string, unknown>;
}

export interface CredentialInput {
  user_id?: string;
  project_id?: string;
  type?: string;
  blob?: string;
  [extra: string]: unknown;
}

/** The OS-EC2 view of an ec2 credential. */
export interface Ec2Credential {
  userId: string;
  projectId: string | null;
  access: string;
  secret: string;
  trustId: string | null;
}

const EC2 = 'ec2';
const KNOWN = new Set(['id', 'user_id', 'project_id', 'type', 'blob', 'links']);
/** Blob keys that bind an ec2 credential to a delegation; an update cannot change them. */
const SCOPE_KEYS = ['trust_id', 'app_cred_id', 'access_token_id', 'access_id'];
const KEY_RELOAD_MS = 60_000;

const extras = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k)));

const isEc2 = (type: string): boolean => type.toLowerCase() === EC2;

/** Keystone's credential ID for an ec2 access key, so the key alone finds its credential. */
export function ec2CredentialId(access: string): string {
  return createHash('sha256').update(access, 'utf8').digest('hex');
}

/**
 * The credential key repository beside the token keys (`<data_dir>/credential-keys`
 * by default, as Keystone's /etc/keystone/credential-keys), created on first use.
 */
export function credentialKeyRepository(tokenKeys: FernetKeyRepository): FernetKeyRepository {
  const keys = new FernetKeyRepository({ dir: join(dirname(tokenKeys.dir), 'credential-keys') });
  keys.setup();
  return keys;
}

/** Parses an ec2 blob as Keystone validates it: a JSON object with an access key. */
function ec2Blob(blob: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw badRequest('Invalid blob in credential', 'validation_error');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw badRequest("Invalid input for field 'blob': an ec2 credential blob must be a JSON object.", 'validation_error');
  }
  const access = (parsed as Record<string, unknown>).access;
  if (access === undefined || access === null) {
    throw badRequest("Invalid input for field 'access': an ec2 credential blob needs an access key.", 'validation_error');
  }
  if (typeof access !== 'string' || access === '') {
    throw badRequest("Invalid input for field 'access': the access key must be a non-empty string.", 'validation_error');
  }
  return parsed as Record<string, unknown>;
}

/** Fernet encryption of blobs at rest with the credential keys (tried newest first, reloaded after a rotation). */
class BlobCipher {
  #loaded: { primary: FernetKey; all: FernetKey[]; at: number };

  constructor(private readonly keys: FernetKeyRepository) {
    this.#loaded = this.#load();
  }

  encrypt(text: string): string {
    if (Date.now() - this.#loaded.at > KEY_RELOAD_MS) this.#loaded = this.#load();
    return encrypt(this.#loaded.primary, Buffer.from(text, 'utf8'));
  }

  decrypt(token: string): string {
    try {
      return decrypt(this.#loaded.all, token).toString('utf8');
    } catch {
      this.#loaded = this.#load();
      try {
        return decrypt(this.#loaded.all, token).toString('utf8');
      } catch {
        // As Keystone's CredentialEncryptionError: the key that sealed it is gone.
        throw internalError('Unable to decrypt a credential blob: the credential key repository does not hold its key.');
      }
    }
  }

  #load(): { primary: FernetKey; all: FernetKey[]; at: number } {
    const k = this.keys.load();
    return { primary: k.primary, all: k.all, at: Date.now() };
  }
}

/** Credentials (ec2 access/secret pairs, TOTP seeds, certificates...) owned by users, encrypted at rest. */
export class CredentialService {
  readonly #store: CredentialStore;
  readonly #cipher: BlobCipher;

  constructor(ctx: IdentityContext, keys: FernetKeyRepository) {
    this.#store = new CredentialStore(ctx.db);
    this.#cipher = new BlobCipher(keys);
  }

  find(id: string): Promise<Credential | undefined> {
    return this.#store.get(id).then((r) => r && this.#toCredential(r));
  }

  async get(id: string): Promise<Credential> {
    const c = await this.find(id);
    if (!c) throw notFound(`Could not find credential: ${id}.`, 'credential_not_found');
    return c;
  }

  async list(filter: CredentialFilter = {}): Promise<Credential[]> {
    return (await this.#store.list(filter)).map((r) => this.#toCredential(r));
  }

  /**
   * Creates a credential. An ec2 credential's ID is the SHA-256 of its access
   * key; one created with an application credential token remembers it, so
   * that ec2tokens authentication later yields the same delegation.
   */
  async create(input: CredentialInput, by: { appCredId?: string } = {}): Promise<Credential> {
    const { user_id: userId, type, blob } = input;
    if (!userId) throw badRequest("Invalid input for field 'user_id': 'user_id' is a required property", 'validation_error');
    if (!type) throw badRequest("Invalid input for field 'type': 'type' is a required property", 'validation_error');
    if (blob === undefined) throw badRequest("Invalid input for field 'blob': 'blob' is a required property", 'validation_error');
    let id = newId();
    let text = blob;
    if (isEc2(type)) {
      if (!input.project_id)
        throw badRequest("Invalid input for field 'project_id': an ec2 credential requires a project_id.", 'validation_error');
      const parsed = ec2Blob(blob);
      id = ec2CredentialId(parsed.access as string);
      if (by.appCredId) text = JSON.stringify({ ...parsed, app_cred_id: by.appCredId });
    }
    const c: Credential = { id, userId, projectId: input.project_id ?? null, type, blob: text, extra: extras(input) };
    await failOnDuplicate(this.#store.insert(this.#toRow(c)), () =>
      conflict(`Conflict occurred attempting to store credential - Duplicate ID, ${id}.`, 'credential_conflict'),
    );
    return c;
  }

  async update(id: string, input: CredentialInput): Promise<Credential> {
    const c = await this.get(id);
    const next: Credential = {
      ...c,
      userId: input.user_id ?? c.userId,
      projectId: input.project_id ?? c.projectId,
      type: input.type ?? c.type,
      blob: input.blob ?? c.blob,
      extra: { ...c.extra, ...extras(input) },
    };
    if (isEc2(next.type)) {
      if (!next.projectId)
        throw badRequest("Invalid input for field 'project_id': an ec2 credential requires a project_id.", 'validation_error');
      if (input.blob !== undefined || !isEc2(c.type)) {
        const nextBlob = ec2Blob(next.blob);
        if (isEc2(c.type)) {
          const old = readJson(c.blob);
          for (const k of SCOPE_KEYS) {
            if ((old[k] ?? null) !== (nextBlob[k] ?? null)) throw badRequest(`${k} can not be updated for credential`, 'validation_error');
          }
        }
      }
    }
    await this.#store.update(this.#toRow(next));
    return next;
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#store.delete(id);
  }

  /** POST /v3/users/{id}/credentials/OS-EC2: a fresh access/secret pair on a project. */
  async createEc2(userId: string, projectId: string, by: { trustId?: string } = {}): Promise<Ec2Credential> {
    const access = newId();
    const blob = JSON.stringify({ access, secret: newId(), trust_id: by.trustId ?? null });
    const c = await this.create({ user_id: userId, project_id: projectId, type: EC2, blob });
    return ec2Of(c);
  }

  /** The ec2 credential of an access key; undefined when there is none or it is another type. */
  async findEc2(access: string): Promise<{ credential: Credential; ec2: Ec2Credential } | undefined> {
    const c = await this.find(ec2CredentialId(access));
    if (!c || !isEc2(c.type)) return undefined;
    return { credential: c, ec2: ec2Of(c) };
  }

  async listEc2(userId: string): Promise<Ec2Credential[]> {
    return (await this.list({ userId, type: EC2 })).map(ec2Of);
  }

  deleteEc2(access: string): Promise<void> {
    return this.delete(ec2CredentialId(access));
  }

  async userDeleted(userId: string): Promise<void> {
    await this.#store.deleteForUser(userId);
  }

  async projectDeleted(projectId: string): Promise<void> {
    await this.#store.deleteForProject(projectId);
  }

  #toCredential(r: CredentialRow): Credential {
    return {
      id: r.id,
      userId: r.user_id,
      projectId: r.project_id,
      type: r.type,
      blob: this.#cipher.decrypt(r.blob),
      extra: readJson(r.extra),
    };
  }

  #toRow(c: Credential): CredentialRow {
    return {
      id: c.id,
      user_id: c.userId,
      project_id: c.projectId,
      type: c.type,
      blob: this.#cipher.encrypt(c.blob),
      extra: writeJson(c.extra),
    };
  }
}

/** Keystone's `_convert_v3_to_ec2_credential`. */
function ec2Of(c: Credential): Ec2Credential {
  const b = readJson(c.blob);
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    userId: c.userId,
    projectId: c.projectId,
    access: str(b.access),
    secret: str(b.secret),
    trustId: typeof b.trust_id === 'string' ? b.trust_id : null,
  };
}
