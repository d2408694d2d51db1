import { badRequest, conflict, forbidden, notFound } from '../../lib/errors.js';
import { DomainConfigStore, type DomainConfig } from '../store/domain-config-store.js';

export type { DomainConfig };
import type { IdentityContext } from './identity-context.js';
import type { ResourceService } from './resource-service.js';

/**
 * Domain-specific configuration (Keystone's `/v3/domains/{id}/config`).
 * Keystone accepts only the `identity` and `ldap` groups and a whitelist of
 * options. Kumo stores and serves them; it has only the SQL identity driver,
 * so a domain configured for LDAP keeps using SQL (documented in the README).
 */
export const DEFAULT_DOMAIN_CONFIG: Readonly<DomainConfig> = {
  identity: { driver: 'sql', list_limit: null },
  ldap: {
    url: 'ldap://localhost',
    user: null,
    suffix: 'cn=example,cn=com',
    query_scope: 'one',
    page_size: 0,
    user_tree_dn: null,
    user_filter: null,
    user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn',
    user_name_attribute: 'sn',
    user_mail_attribute: 'mail',
    user_description_attribute: 'description',
    user_pass_attribute: 'userPassword',
    user_enabled_attribute: 'enabled',
    group_tree_dn: null,
    group_filter: null,
    group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn',
    group_name_attribute: 'ou',
    group_member_attribute: 'member',
    group_desc_attribute: 'description',
    use_tls: false,
    tls_cacertfile: null,
  },
};

/** `password` is accepted but never shown, as Keystone treats it as sensitive. */
const SENSITIVE = new Set(['password']);
const ALLOWED: Readonly<Record<string, ReadonlySet<string>>> = {
  identity: new Set(Object.keys(DEFAULT_DOMAIN_CONFIG.identity ?? {})),
  ldap: new Set([...Object.keys(DEFAULT_DOMAIN_CONFIG.ldap ?? {}), 'password']),
};

function validate(config: DomainConfig): void {
  if (Object.keys(config).length === 0) throw badRequest('A domain configuration needs at least one group.');
  for (const [group, opts] of Object.entries(config)) {
    const allowed = ALLOWED[group];
    if (!allowed) throw forbidden(`Group ${group} is not supported for domain specific configurations.`);
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw badRequest(`Group ${group} must be an object of options.`);
    for (const opt of Object.keys(opts)) {
      if (!allowed.has(opt)) throw forbidden(`Option ${opt} in group ${group} is not supported for domain specific configurations.`);
    }
  }
}

const visible = (config: DomainConfig): DomainConfig =>
  Object.fromEntries(Object.entries(config).map(([g, o]) => [g, Object.fromEntries(Object.entries(o).filter(([k]) => !SENSITIVE.has(k)))]));

export class DomainConfigService {
  readonly #store: DomainConfigStore;

  constructor(
    ctx: IdentityContext,
    private readonly resources: ResourceService,
  ) {
    this.#store = new DomainConfigStore(ctx.db);
  }

  async get(domainId: string, group?: string, option?: string): Promise<Record<string, unknown>> {
    await this.resources.getDomain(domainId);
    const all = visible(await this.#store.get(domainId));
    if (Object.keys(all).length === 0) throw notFound(`Could not find Domain Config: ${domainId}.`, 'domain_config_not_found');
    if (group === undefined) return all;
    const g = all[group];
    if (!g) throw notFound(`Could not find Domain Config group: ${group}.`, 'domain_config_not_found');
    if (option === undefined) return { [group]: g };
    if (!(option in g)) throw notFound(`Could not find Domain Config option: ${option} in group ${group}.`, 'domain_config_not_found');
    return { [option]: g[option] };
  }

  /** PUT: create; Keystone answers 201 for a new config, 200 when it equals the stored one, 409 otherwise. */
  async create(domainId: string, config: DomainConfig): Promise<{ config: DomainConfig; created: boolean }> {
    await this.resources.getDomain(domainId);
    validate(config);
    const existing = await this.#store.get(domainId);
    if (Object.keys(existing).length > 0) {
      if (JSON.stringify(existing) === JSON.stringify(config)) return { config: visible(existing), created: false };
      throw conflict(`Conflict occurred attempting to store domain config - a configuration already exists for domain ${domainId}.`);
    }
    await this.#store.replace(domainId, config);
    return { config: visible(config), created: true };
  }

  /** PATCH: merge groups/options into the stored config (optionally only within one group/option). */
  async update(domainId: string, patch: DomainConfig, group?: string, option?: string): Promise<DomainConfig> {
    await this.resources.getDomain(domainId);
    if (group !== undefined) {
      const keys = Object.keys(patch);
      if (option !== undefined) {
        if (keys.length !== 1 || keys[0] !== option) throw badRequest(`The request body must only hold option ${option}.`);
        patch = { [group]: { [option]: patch[option] } };
      } else if (keys.length !== 1 || keys[0] !== group) {
        throw badRequest(`The request body must only hold group ${group}.`);
      }
    }
    validate(patch);
    const current = await this.#store.get(domainId);
    if (Object.keys(current).length === 0) throw notFound(`Could not find Domain Config: ${domainId}.`, 'domain_config_not_found');
    if (group !== undefined && !current[group]) throw notFound(`Could not find Domain Config group: ${group}.`, 'domain_config_not_found');
    for (const [g, opts] of Object.entries(patch)) current[g] = { ...current[g], ...opts };
    await this.#store.replace(domainId, current);
    return visible(current);
  }

  async delete(domainId: string, group?: string, option?: string): Promise<void> {
    await this.resources.getDomain(domainId);
    const current = await this.#store.get(domainId);
    if (Object.keys(current).length === 0) throw notFound(`Could not find Domain Config: ${domainId}.`, 'domain_config_not_found');
    if (group === undefined) {
      await this.#store.replace(domainId, {});
      return;
    }
    const g = current[group];
    if (!g) throw notFound(`Could not find Domain Config group: ${group}.`, 'domain_config_not_found');
    if (option === undefined) delete current[group];
    else {
      if (!(option in g)) throw notFound(`Could not find Domain Config option: ${option} in group ${group}.`, 'domain_config_not_found');
      delete g[option];
      if (Object.keys(g).length === 0) delete current[group];
    }
    await this.#store.replace(domainId, current);
  }

  /** The defaults shown by `/v3/domains/config/default`. */
  defaults(group?: string, option?: string): DomainConfig | Record<string, unknown> {
    if (group === undefined) return { ...DEFAULT_DOMAIN_CONFIG };
    const g = DEFAULT_DOMAIN_CONFIG[group];
    if (!g) throw forbidden(`Group ${group} is not supported for domain specific configurations.`);
    if (option === undefined) return { [group]: g };
    if (!(option in g)) throw forbidden(`Option ${option} in group ${group} is not supported for domain specific configurations.`);
    return { [option]: g[option] };
  }
}
