import type { IdentityServices } from './identity-services.js';
import { DEFAULT_DOMAIN_ID } from './resource-service.js';

export interface BootstrapEndpoint {
  type: string;
  name: string;
  description: string;
  /** Same URL for public, internal and admin, as DevStack and the install guides use. */
  url: string;
}

export interface BootstrapOptions {
  /** Set for a new admin user; for an existing one only when `resetPassword`. */
  adminPassword: string;
  resetPassword?: boolean;
  region: string;
  endpoints: BootstrapEndpoint[];
  /**
   * The user Kumo's own services authenticate as when they call each other
   * (Nova calling Placement and Glance): admin and service roles on the
   * admin project. Its password is reset whenever it no longer matches.
   */
  serviceUser?: { name: string; password: string; /** Default: the admin project. */ projectName?: string };
}

export interface BootstrapResult {
  adminUserCreated: boolean;
  adminUserId: string;
  adminProjectId: string;
}

/**
 * What `keystone-manage bootstrap` does, idempotently: the Default domain,
 * roles admin ⊃ member ⊃ reader (plus service), the admin project and user
 * with admin on the project and the system, the region, and the catalog.
 */
export async function bootstrapIdentity(svc: IdentityServices, opts: BootstrapOptions): Promise<BootstrapResult> {
  const { resources, roles, users, assignments, regions, catalog } = svc;
  if (!(await resources.findDomain(DEFAULT_DOMAIN_ID))) {
    await resources.createDomain({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain' });
  }
  const role = async (name: string) => (await roles.findByName(name)) ?? (await roles.create({ name }));
  const admin = await role('admin');
  const member = await role('member');
  const reader = await role('reader');
  await role('service');
  for (const [prior, implied] of [
    [admin.id, member.id],
    [member.id, reader.id],
  ] as const) {
    const existing = await roles.allImplications();
    if (!(existing.get(prior) ?? []).includes(implied)) await roles.imply(prior, implied);
  }

  const project =
    (await resources.findProjectByName(DEFAULT_DOMAIN_ID, 'admin')) ??
    (await resources.createProject({ name: 'admin', description: 'Bootstrap project for initializing the cloud.' }, DEFAULT_DOMAIN_ID));
  let user = await users.findByName(DEFAULT_DOMAIN_ID, 'admin');
  const created = !user;
  // The bootstrap admin is the operator's way in: its password must not expire or need a first-use change.
  const options = { ignore_change_password_upon_first_use: true, ignore_password_expiry: true };
  if (!user) user = await users.create({ name: 'admin', password: opts.adminPassword, options }, DEFAULT_DOMAIN_ID);
  else if (opts.resetPassword && !(await users.passwordMatches(user.id, opts.adminPassword))) {
    // Like keystone-manage bootstrap: only a password that no longer works is reset, so restarts keep tokens valid.
    await users.update(user.id, { password: opts.adminPassword, enabled: true });
  }
  await assignments.grant({ actor: 'user', actorId: user.id, target: 'project', targetId: project.id, roleId: admin.id, inherited: false });
  await assignments.grant({ actor: 'user', actorId: user.id, target: 'system', targetId: 'all', roleId: admin.id, inherited: false });

  if (opts.serviceUser) {
    // `kumo up` uses the admin project; scale-out uses service_auth.project_name (created if missing).
    const svcRole = await role('service');
    const { name, password, projectName } = opts.serviceUser;
    const svcProject =
      !projectName || projectName === 'admin'
        ? project
        : ((await resources.findProjectByName(DEFAULT_DOMAIN_ID, projectName)) ??
          (await resources.createProject({ name: projectName, description: 'Service users of the cloud.' }, DEFAULT_DOMAIN_ID)));
    let su = await users.findByName(DEFAULT_DOMAIN_ID, name);
    if (!su) su = await users.create({ name, password, options }, DEFAULT_DOMAIN_ID);
    else if (!(await users.passwordMatches(su.id, password))) await users.update(su.id, { password, enabled: true });
    for (const r of [admin, svcRole]) {
      await assignments.grant({
        actor: 'user',
        actorId: su.id,
        target: 'project',
        targetId: svcProject.id,
        roleId: r.id,
        inherited: false,
      });
    }
  }

  if (!(await regions.find(opts.region))) await regions.create({ id: opts.region, description: '' });
  for (const ep of opts.endpoints) {
    const services = await catalog.listServices({ type: ep.type });
    const service =
      services.find((s) => s.name === ep.name) ??
      (await catalog.createService({ type: ep.type, name: ep.name, description: ep.description }));
    const existing = await catalog.listEndpoints({ serviceId: service.id, regionId: opts.region });
    for (const iface of ['public', 'internal', 'admin'] as const) {
      const e = existing.find((x) => x.interface === iface);
      if (!e) await catalog.createEndpoint({ service_id: service.id, region_id: opts.region, interface: iface, url: ep.url });
      else if (e.url !== ep.url) await catalog.updateEndpoint(e.id, { url: ep.url });
    }
  }
  return { adminUserCreated: created, adminUserId: user.id, adminProjectId: project.id };
}
