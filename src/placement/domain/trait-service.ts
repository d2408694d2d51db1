import { badRequest, conflict, notFound } from '../../lib/errors.js';
import type { NameStore } from '../store/name-store.js';
import type { ProviderStore } from '../store/provider-store.js';
import { STANDARD_TRAITS } from './standard-traits.js';

export interface TraitFilter {
  /** `startswith:X` */
  prefix?: string;
  /** `in:A,B` */
  names?: string[];
  /** associated=true/false: only traits some provider has (or none has). */
  associated?: boolean;
}

/** Standard os-traits names and CUSTOM_* traits. */
export class TraitService {
  constructor(
    private readonly custom: NameStore,
    private readonly providers: ProviderStore,
  ) {}

  async exists(name: string): Promise<boolean> {
    return STANDARD_TRAITS.has(name) || this.custom.has(name);
  }

  async list(f: TraitFilter): Promise<string[]> {
    const all = [...STANDARD_TRAITS, ...(await this.custom.list())].sort();
    const out: string[] = [];
    for (const t of all) {
      if (f.prefix !== undefined && !t.startsWith(f.prefix)) continue;
      if (f.names !== undefined && !f.names.includes(t)) continue;
      if (f.associated !== undefined && (await this.providers.traitInUse(t)) !== f.associated) continue;
      out.push(t);
    }
    return out;
  }

  async get(name: string): Promise<void> {
    if (!(await this.exists(name))) throw notFound(`No such trait(s): ${name}.`);
  }

  /** PUT /traits/{name}: true when it was created. */
  async ensure(name: string): Promise<boolean> {
    if (STANDARD_TRAITS.has(name)) return false;
    if (!name.startsWith('CUSTOM_'))
      throw badRequest(
        `The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"`,
      );
    return this.custom.add(name);
  }

  async delete(name: string): Promise<void> {
    if (STANDARD_TRAITS.has(name)) throw badRequest(`Cannot delete standard trait ${name}.`);
    if (!(await this.custom.has(name))) throw notFound(`No such trait(s): ${name}.`);
    if (await this.providers.traitInUse(name)) throw conflict(`The trait ${name} is in use by a resource provider.`);
    await this.custom.remove(name);
  }
}
