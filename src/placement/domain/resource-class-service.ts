import { badRequest, conflict, notFound } from '../../lib/errors.js';
import type { NameStore } from '../store/name-store.js';
import type { ProviderStore } from '../store/provider-store.js';
import { CUSTOM_NAME, STANDARD_RESOURCE_CLASSES, isStandardClass } from './resource-classes.js';

/** Standard classes (read-only) and the operator's CUSTOM_* classes. */
export class ResourceClassService {
  constructor(
    private readonly custom: NameStore,
    private readonly providers: ProviderStore,
  ) {}

  async list(): Promise<string[]> {
    return [...STANDARD_RESOURCE_CLASSES, ...(await this.custom.list())];
  }

  async get(name: string): Promise<string> {
    if (isStandardClass(name) || (await this.custom.has(name))) return name;
    throw notFound(`No such resource class ${name}.`);
  }

  async create(name: string): Promise<void> {
    if (isStandardClass(name) || !(await this.custom.add(name)))
      throw conflict(`Conflicting resource class already exists: ${name}`, 'placement.duplicate_name');
  }

  /** PUT (1.7): creates if absent; true when it was created. */
  async ensure(name: string): Promise<boolean> {
    if (isStandardClass(name)) throw badRequest(`Cannot update standard resource class ${name}`);
    return this.custom.add(name);
  }

  async delete(name: string): Promise<void> {
    if (isStandardClass(name)) throw badRequest(`Cannot delete standard resource class ${name}: Cannot delete standard resource class.`);
    if (!CUSTOM_NAME.test(name) || !(await this.custom.has(name))) throw notFound(`No such resource class ${name}.`);
    if (await this.providers.classInUse(name))
      throw conflict(`Unable to delete resource class ${name}: Cannot delete resource class ${name}. Class is in use in inventory.`);
    await this.custom.remove(name);
  }
}
