import { badRequest, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { readJson, writeJson } from '../store/json.js';
import { PolicyBlobStore } from '../store/policy-blob-store.js';
import type { PolicyRow } from '../store/schema.js';
import type { IdentityContext } from './identity-context.js';

/** A policy document of /v3/policies: opaque to Keystone, which only stores it (deprecated since Queens). */
export interface PolicyBlob {
  id: string;
  type: string;
  blob: string;
  extra: Record<string, unknown>;
}

export interface PolicyBlobInput {
  type?: string;
  blob?: string;
  [extra: string]: unknown;
}

const KNOWN = new Set(['id', 'type', 'blob', 'links']);
const extras = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k)));

const toPolicy = (r: PolicyRow): PolicyBlob => ({ id: r.id, type: r.type, blob: r.blob, extra: readJson(r.extra) });
const toRow = (p: PolicyBlob): PolicyRow => ({ id: p.id, type: p.type, blob: p.blob, extra: writeJson(p.extra) });

/** Stored policy blobs; nothing enforces them, clients fetch them (e.g. via OS-ENDPOINT-POLICY). */
export class PolicyBlobService {
  readonly #store: PolicyBlobStore;

  constructor(ctx: IdentityContext) {
    this.#store = new PolicyBlobStore(ctx.db);
  }

  async get(id: string): Promise<PolicyBlob> {
    const r = await this.#store.get(id);
    if (!r) throw notFound(`Could not find policy: ${id}.`, 'policy_not_found');
    return toPolicy(r);
  }

  async list(filter: { type?: string } = {}): Promise<PolicyBlob[]> {
    return (await this.#store.list(filter)).map(toPolicy);
  }

  async create(input: PolicyBlobInput): Promise<PolicyBlob> {
    if (typeof input.type !== 'string')
      throw badRequest("Invalid input for field 'type': 'type' is a required property", 'validation_error');
    if (typeof input.blob !== 'string')
      throw badRequest("Invalid input for field 'blob': 'blob' is a required property", 'validation_error');
    // Like Keystone, the server picks the ID whatever the client sent.
    const p: PolicyBlob = { id: newId(), type: input.type, blob: input.blob, extra: extras(input) };
    await this.#store.insert(toRow(p));
    return p;
  }

  async update(id: string, input: PolicyBlobInput): Promise<PolicyBlob> {
    const p = await this.get(id);
    if (input.type !== undefined) p.type = input.type;
    if (input.blob !== undefined) p.blob = input.blob;
    p.extra = { ...p.extra, ...extras(input) };
    await this.#store.update(toRow(p));
    return p;
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#store.delete(id);
  }
}
