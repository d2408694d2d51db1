import { badRequest, conflict, KumoError, notFound } from '../../lib/errors.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { dbTime } from '../../lib/time.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { insertWithNextId } from '../store/next-id.js';
import type { KeyPairRow } from '../store/resource-tables.js';
import type { Keypair, KeypairLookup } from './resource-services.js';
import type { QuotaService } from './quota-service.js';
import { generateSshKeyPair, sshFingerprint, x509Fingerprint } from './ssh-public-key.js';
import { generateX509KeyPair } from './x509-certificate.js';

export interface StoredKeypair extends Keypair {
  id: number;
}

export interface KeypairCreate {
  userId: string;
  projectId: string;
  name: string;
  type: 'ssh' | 'x509';
  publicKey?: string;
}

export const keypairNotFound = (userId: string, name: string) =>
  notFound(`Keypair ${name} not found for user ${userId}`, 'keypair_not_found');

/** Key pairs of users (os-keypairs), counted against the key_pairs quota of the creating project. */
export class KeypairService implements KeypairLookup {
  constructor(
    private readonly db: ComputeKysely,
    private readonly quotas: QuotaService,
  ) {}

  private view(r: KeyPairRow): StoredKeypair {
    return {
      id: r.id,
      name: r.name,
      userId: r.user_id,
      type: r.type === 'x509' ? 'x509' : 'ssh',
      publicKey: r.public_key,
      fingerprint: r.fingerprint,
      createdAt: r.created_at,
    };
  }

  async get(userId: string, name: string): Promise<StoredKeypair> {
    const r = await this.db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (!r) throw keypairNotFound(userId, name);
    return this.view(r);
  }

  /** A user's key pairs by name; `marker` is a name (2.35 paging). */
  async list(userId: string, limit?: number, marker?: string): Promise<StoredKeypair[]> {
    let q = this.db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).orderBy('name');
    if (marker !== undefined) {
      await this.get(userId, marker).catch(() => {
        throw badRequest(`marker [${marker}] not found`);
      });
      q = q.where('name', '>', marker);
    }
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map((r) => this.view(r));
  }

  async count(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('key_pairs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async create(c: KeypairCreate): Promise<StoredKeypair & { privateKey?: string }> {
    const limit = await this.quotas.limitFor(c.projectId, c.userId, 'key_pairs');
    if (limit >= 0 && (await this.count(c.userId)) + 1 > limit) {
      throw new KumoError('quota_exceeded', 403, 'Quota exceeded, too many key pairs.');
    }
    let publicKey: string;
    let fingerprint: string;
    let privateKey: string | undefined;
    if (c.publicKey !== undefined) {
      publicKey = c.publicKey.trim();
      fingerprint = c.type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
    } else if (c.type === 'x509') {
      const g = generateX509KeyPair(c.userId, c.projectId);
      ({ certificate: publicKey, fingerprint, privateKey } = g);
    } else {
      ({ publicKey, fingerprint, privateKey } = generateSshKeyPair('Generated-by-Nova'));
    }
    const row: Omit<KeyPairRow, 'id'> = {
      user_id: c.userId,
      name: c.name,
      type: c.type,
      public_key: publicKey,
      fingerprint,
      created_at: dbTime(),
    };
    const id = await failOnDuplicate(insertWithNextId<KeyPairRow>(this.db, 'key_pairs', row), () =>
      conflict(`Key pair '${c.name}' already exists.`, 'keypair_exists'),
    );
    return { ...this.view({ ...row, id }), ...(privateKey !== undefined ? { privateKey } : {}) };
  }

  async delete(userId: string, name: string): Promise<void> {
    const res = await this.db.deleteFrom('key_pairs').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw keypairNotFound(userId, name);
  }
}
