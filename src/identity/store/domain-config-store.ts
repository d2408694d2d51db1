import type { IdentityKysely } from './identity-database.js';

export type DomainConfig = Record<string, Record<string, unknown>>;

/** Persistence of domain-specific configuration, one row per option. */
export class DomainConfigStore {
  constructor(private readonly db: IdentityKysely) {}

  async get(domainId: string): Promise<DomainConfig> {
    const rows = await this.db.selectFrom('domain_configs').selectAll().where('domain_id', '=', domainId).execute();
    const out: DomainConfig = {};
    for (const r of rows) (out[r.group_name] ??= {})[r.option_name] = JSON.parse(r.value) as unknown;
    return out;
  }

  /** Replaces the whole configuration of a domain atomically. */
  async replace(domainId: string, config: DomainConfig): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('domain_configs').where('domain_id', '=', domainId).execute();
      const rows = Object.entries(config).flatMap(([group, opts]) =>
        Object.entries(opts).map(([option, value]) => ({
          domain_id: domainId,
          group_name: group,
          option_name: option,
          value: JSON.stringify(value),
        })),
      );
      if (rows.length > 0) await tx.insertInto('domain_configs').values(rows).execute();
    });
  }
}
