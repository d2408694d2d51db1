import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { RoleStore } from '../store/role-store.js';
import type { IdentityContext } from './identity-context.js';
import type { Role } from './models.js';

export interface RoleInput {
  name?: string;
  domain_id?: string | null;
  description?: string | null;
  options?: Record<string, unknown>;
  [extra: string]: unknown;
}

const KNOWN = new Set(['id', 'name', 'domain_id', 'description', 'options', 'links']);
/** Keystone refuses to let any role imply admin (prohibited_implied_role). */
const PROHIBITED_IMPLIED = new Set(['admin']);

/** A null option value removes the option, as Keystone's resource options do. */
const withoutNulls = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));

/** Roles and the implication graph between them. */
export class RoleService {
  readonly #store: RoleStore;
  readonly #ctx: IdentityContext;
  #implied: { at: number; map: Map<string, string[]> } | undefined;

  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
    this.#store = new RoleStore(ctx.db);
  }

  async get(id: string): Promise<Role> {
    const r = await this.#store.get(id);
    if (!r) throw notFound(`Could not find role: ${id}.`, 'role_not_found');
    return r;
  }

  find(id: string): Promise<Role | undefined> {
    return this.#store.get(id);
  }

  findByName(name: string, domainId: string | null = null): Promise<Role | undefined> {
    return this.#store.getByName(name, domainId);
  }

  list(filter: { name?: string; domainId?: string | null; ids?: string[] } = {}): Promise<Role[]> {
    return this.#store.list(filter);
  }

  async create(input: RoleInput & { id?: string }): Promise<Role> {
    if (!input.name) throw badRequest("Invalid input for field 'name': a name is required.");
    const role: Role = {
      id: input.id ?? newId(),
      name: input.name,
      domainId: input.domain_id ?? null,
      description: input.description ?? null,
      extra: Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k))),
      options: withoutNulls(input.options ?? {}),
    };
    await failOnDuplicate(this.#store.insert(role), () =>
      conflict(`Conflict occurred attempting to store role - Duplicate entry found with name ${role.name}.`, 'role_conflict'),
    );
    this.#ctx.revision.bump();
    return role;
  }

  async update(id: string, input: RoleInput): Promise<Role> {
    const r = await this.get(id);
    if (input.domain_id !== undefined && (input.domain_id ?? null) !== r.domainId)
      throw badRequest('Update of `domain_id` is not allowed.');
    // Clearing `immutable` (false or null) in the same request is what unlocks an immutable role.
    if (r.options.immutable === true && !(input.options && (input.options.immutable === false || input.options.immutable === null))) {
      throw forbidden(`Cannot modify immutable role ${id}.`);
    }
    if (input.name !== undefined) r.name = input.name;
    if (input.description !== undefined) r.description = input.description;
    if (input.options !== undefined) r.options = withoutNulls({ ...r.options, ...input.options });
    r.extra = { ...r.extra, ...Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k))) };
    await failOnDuplicate(this.#store.update(r), () =>
      conflict(`Conflict occurred attempting to store role - Duplicate entry found with name ${r.name}.`, 'role_conflict'),
    );
    this.#ctx.revision.bump();
    return r;
  }

  async delete(id: string): Promise<void> {
    const r = await this.get(id);
    if (r.options.immutable === true) throw forbidden(`Cannot delete immutable role ${id}.`);
    await this.#store.delete(id);
    this.#implied = undefined;
    this.#ctx.revision.bump();
  }

  // ---- implied roles

  async imply(priorId: string, impliedId: string): Promise<{ prior: Role; implied: Role }> {
    const prior = await this.get(priorId);
    const implied = await this.get(impliedId);
    if (PROHIBITED_IMPLIED.has(implied.name)) throw forbidden(`${implied.name} is not permitted to be an implied role.`);
    if (implied.domainId !== null && prior.domainId === null) {
      throw forbidden('A global role cannot imply a domain-specific role.');
    }
    if (priorId === impliedId || (await this.expand([impliedId])).includes(priorId)) {
      throw forbidden(`Creating the implied role ${priorId} -> ${impliedId} would create a cycle.`);
    }
    const existing = await this.#store.implications();
    if (!existing.some((e) => e.prior_role_id === priorId && e.implied_role_id === impliedId)) {
      await this.#store.addImplication(priorId, impliedId);
    }
    this.#implied = undefined;
    this.#ctx.revision.bump();
    return { prior, implied };
  }

  async getImplication(priorId: string, impliedId: string): Promise<{ prior: Role; implied: Role }> {
    const prior = await this.get(priorId);
    const implied = await this.get(impliedId);
    const map = await this.#implications();
    if (!(map.get(priorId) ?? []).includes(impliedId)) {
      throw notFound(`${priorId} does not imply ${impliedId}.`, 'implied_role_not_found');
    }
    return { prior, implied };
  }

  async unimply(priorId: string, impliedId: string): Promise<void> {
    await this.getImplication(priorId, impliedId);
    await this.#store.removeImplication(priorId, impliedId);
    this.#implied = undefined;
    this.#ctx.revision.bump();
  }

  /** Direct implications of one role. */
  async impliedBy(priorId: string): Promise<Role[]> {
    await this.get(priorId);
    const ids = (await this.#implications()).get(priorId) ?? [];
    return this.#store.list({ ids });
  }

  /** Every (prior → implied[]) pair. */
  async allImplications(): Promise<Map<string, string[]>> {
    return new Map(await this.#implications());
  }

  /** The role IDs plus every role they imply, transitively. */
  async expand(roleIds: readonly string[]): Promise<string[]> {
    const map = await this.#implications();
    const seen = new Set(roleIds);
    const stack = [...roleIds];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      for (const next of map.get(id) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return [...seen];
  }

  async #implications(): Promise<Map<string, string[]>> {
    const rev = this.#ctx.revision.value;
    if (this.#implied && this.#implied.at === rev) return this.#implied.map;
    const map = new Map<string, string[]>();
    for (const e of await this.#store.implications()) map.set(e.prior_role_id, [...(map.get(e.prior_role_id) ?? []), e.implied_role_id]);
    this.#implied = { at: rev, map };
    return map;
  }
}
