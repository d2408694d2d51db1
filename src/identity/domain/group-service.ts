import { badRequest, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { failOnDuplicate } from '../../lib/db/database.js';
import { GroupStore } from '../store/group-store.js';
import type { IdentityContext } from './identity-context.js';
import type { Group } from './models.js';

export interface GroupInput {
  name?: string;
  domain_id?: string;
  description?: string | null;
  [extra: string]: unknown;
}

const KNOWN = new Set(['id', 'name', 'domain_id', 'description', 'links']);
const extras = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(input).filter(([k]) => !KNOWN.has(k)));

/** Called when membership changes, so the member's tokens lose group-derived roles. */
export interface GroupHooks {
  membershipChanged(userId: string): Promise<void>;
  groupDeleted(groupId: string): Promise<void>;
}

/** Groups of users (roles granted to a group apply to its members). */
export class GroupService {
  readonly #store: GroupStore;
  readonly #ctx: IdentityContext;
  #hooks: GroupHooks | undefined;

  constructor(ctx: IdentityContext) {
    this.#ctx = ctx;
    this.#store = new GroupStore(ctx.db);
  }

  setHooks(hooks: GroupHooks): void {
    this.#hooks = hooks;
  }

  async get(id: string): Promise<Group> {
    const g = await this.#store.get(id);
    if (!g) throw notFound(`Could not find group: ${id}.`, 'group_not_found');
    return g;
  }

  find(id: string): Promise<Group | undefined> {
    return this.#store.get(id);
  }

  list(filter: { name?: string; domainId?: string; ids?: string[] } = {}): Promise<Group[]> {
    return this.#store.list(filter);
  }

  async create(input: GroupInput, defaultDomainId: string): Promise<Group> {
    if (!input.name) throw badRequest("Invalid input for field 'name': a name is required.");
    const g: Group = {
      id: newId(),
      name: input.name,
      domainId: input.domain_id ?? defaultDomainId,
      description: input.description ?? '',
      extra: extras(input),
    };
    await failOnDuplicate(this.#store.insert(g), () =>
      conflict(`Conflict occurred attempting to store group - Duplicate entry found with name ${g.name}.`, 'group_conflict'),
    );
    this.#ctx.revision.bump();
    return g;
  }

  async update(id: string, input: GroupInput): Promise<Group> {
    const g = await this.get(id);
    if (input.domain_id !== undefined && input.domain_id !== g.domainId) throw badRequest('Update of `domain_id` is not allowed.');
    if (input.name !== undefined) g.name = input.name;
    if (input.description !== undefined) g.description = input.description ?? '';
    g.extra = { ...g.extra, ...extras(input) };
    await failOnDuplicate(this.#store.update(g), () =>
      conflict(`Conflict occurred attempting to store group - Duplicate entry found with name ${g.name}.`, 'group_conflict'),
    );
    this.#ctx.revision.bump();
    return g;
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.#store.delete(id);
    await this.#hooks?.groupDeleted(id);
    this.#ctx.revision.bump();
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    await this.#store.addMember(groupId, userId);
    this.#ctx.revision.bump();
  }

  async removeMember(groupId: string, userId: string): Promise<void> {
    const n = await this.#store.removeMember(groupId, userId);
    if (n === 0) throw notFound(`Could not find user: ${userId} in group ${groupId}.`, 'membership_not_found');
    this.#ctx.revision.bump();
    await this.#hooks?.membershipChanged(userId);
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    return this.#store.isMember(groupId, userId);
  }
}
