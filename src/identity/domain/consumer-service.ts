import { badRequest, notFound } from '../../lib/errors.js';
import { newId, newSecret } from '../../lib/ids.js';
import { hashPassword } from '../../lib/crypto/password-hasher.js';
import { ConsumerStore } from '../store/consumer-store.js';
import { readJson, writeJson } from '../store/json.js';
import type { OAuthConsumerRow } from '../store/schema.js';
import type { IdentityContext } from './identity-context.js';

export interface Consumer {
  id: string;
  description: string;
  extra: Record<string, unknown>;
  /** Only on creation; stored hashed. */
  secret?: string;
}

const toConsumer = (r: OAuthConsumerRow): Consumer => ({ id: r.id, description: r.description ?? '', extra: readJson(r.extra) });

/**
 * OS-OAUTH1 consumer registry. Kumo manages consumers as Keystone does; the
 * OAuth1 request-token/access-token exchange itself is not served (README).
 */
export class ConsumerService {
  readonly #store: ConsumerStore;

  constructor(ctx: IdentityContext) {
    this.#store = new ConsumerStore(ctx.db);
  }

  async get(id: string): Promise<Consumer> {
    const r = await this.#store.get(id);
    if (!r) throw notFound(`Could not find consumer: ${id}.`, 'consumer_not_found');
    return toConsumer(r);
  }

  async list(): Promise<Consumer[]> {
    return (await this.#store.list()).map(toConsumer);
  }

  async create(input: { description?: string | null; [k: string]: unknown }): Promise<Consumer> {
    if ('secret' in input || 'id' in input) badRequestFor('secret or id');
    const { description, ...extra } = input;
    const secret = newSecret(32);
    const row: OAuthConsumerRow = {
      id: newId(),
      description: description ?? '',
      secret_hash: await hashPassword(secret),
      extra: writeJson(extra),
    };
    await this.#store.insert(row);
    return { ...toConsumer(row), secret };
  }

  async update(id: string, input: { description?: string | null; [k: string]: unknown }): Promise<Consumer> {
    if ('secret' in input) badRequestFor('secret');
    const r = await this.#store.get(id);
    if (!r) throw notFound(`Could not find consumer: ${id}.`, 'consumer_not_found');
    const { description, id: _id, ...extra } = input;
    if (_id !== undefined && _id !== id) badRequestFor('id');
    const next: OAuthConsumerRow = {
      ...r,
      description: description === undefined ? r.description : (description ?? ''),
      extra: writeJson({ ...readJson(r.extra), ...extra }),
    };
    await this.#store.update(next);
    return toConsumer(next);
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#store.delete(id);
  }
}

function badRequestFor(field: string): never {
  throw badRequest(`Invalid input: ${field} cannot be set or changed.`);
}
