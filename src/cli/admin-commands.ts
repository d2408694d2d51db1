import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { newSecret } from '../lib/ids.js';
import { Metrics } from '../lib/http/metrics.js';
import { createLogger } from '../lib/log.js';
import { migrateToLatest } from '../lib/db/migrations.js';
import { openDatabase, redactUrl } from '../lib/db/database.js';
import { bootstrapIdentity } from '../identity/domain/bootstrap.js';
import { createIdentityServer, identityKeys } from '../identity/identity-server.js';
import { identityMigrations } from '../identity/store/migrations/index.js';
import { imageMigrations } from '../image/store/migrations/index.js';
import { placementMigrations } from '../placement/store/migrations/index.js';
import { computeMigrations } from '../compute/store/migrations/index.js';
import { networkMigrations } from '../network/store/migrations/index.js';
import { catalogEndpoints } from './all-in-one.js';
import { writeCredentialFiles } from './credential-files.js';
import { addConfigOptions, configFrom } from './config-options.js';

const say = (msg: string): void => void process.stdout.write(`kumo: ${msg}\n`);

/** kumo bootstrap | db migrate | fernet setup | fernet rotate */
export function registerAdminCommands(program: Command): void {
  addConfigOptions(
    program
      .command('bootstrap')
      .description('create or repair the admin user, roles, region and catalog (like keystone-manage bootstrap)')
      .option('--admin-password <password>', 'set the admin password (also resets an existing admin)')
      .option('--identity-port <port>', 'identity port to publish in the catalog (default 5000)')
      .option('--image-port <port>', 'image port to publish in the catalog (default 9292)')
      .option('--placement-port <port>', 'placement port to publish in the catalog (default 8778)')
      .option('--compute-port <port>', 'compute port to publish in the catalog (default 8774)'),
  ).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const logger = createLogger({ level: 'warn', destination: process.stderr });
    const identity = await createIdentityServer(config, { logger, metrics: new Metrics() });
    try {
      const given = (opts.adminPassword as string | undefined) || config.identity.adminPassword;
      const password = given || newSecret(18);
      const endpoints = catalogEndpoints(config, {
        identity: config.identity.port,
        image: config.image.port,
        placement: config.placement.port,
        compute: config.compute.port,
        network: config.network.port,
      });
      // Scale-out nodes log in with service_auth: that user is made here when it has a password.
      const a = config.serviceAuth;
      const serviceUser = a.username && a.password ? { name: a.username, password: a.password, projectName: a.projectName } : undefined;
      const r = await bootstrapIdentity(identity.services, {
        adminPassword: password,
        resetPassword: Boolean(given),
        region: config.region,
        endpoints,
        serviceUser,
      });
      if (serviceUser) say(`service user ${serviceUser.name} has admin and service on project ${serviceUser.projectName || 'admin'}`);
      if (r.adminUserCreated || given) {
        const files = writeCredentialFiles(config.dataDir, { authUrl: endpoints[0]?.url ?? '', password, region: config.region });
        say(`admin credentials written to ${files.openrc} and ${files.cloudsYaml}`);
      }
      say(`bootstrap complete (admin user ${r.adminUserId}, project ${r.adminProjectId})`);
    } finally {
      await identity.close();
    }
  });

  const db = program.command('db').description('database maintenance');
  addConfigOptions(db.command('migrate').description('apply pending schema migrations')).action(async (opts: Record<string, unknown>) => {
    const config = configFrom(opts);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const services = [
      { name: 'identity', url: config.identity.databaseUrl, migrations: identityMigrations },
      { name: 'image', url: config.image.databaseUrl, migrations: imageMigrations },
      { name: 'placement', url: config.placement.databaseUrl, migrations: placementMigrations },
      { name: 'compute', url: config.compute.databaseUrl, migrations: computeMigrations },
      { name: 'network', url: config.network.databaseUrl, migrations: networkMigrations },
    ];
    for (const svc of services) {
      const database = await openDatabase(svc.url);
      try {
        const r = await migrateToLatest(database.db as never, svc.name, svc.migrations);
        say(`${svc.name} (${redactUrl(svc.url)}): ${r.applied.length === 0 ? 'up to date' : `applied ${r.applied.join(', ')}`}`);
      } finally {
        await database.close();
      }
    }
  });

  const fernet = program.command('fernet').description('Fernet token key repository');
  addConfigOptions(fernet.command('setup').description('create the key repository if it does not exist')).action(
    (opts: Record<string, unknown>) => {
      const keys = identityKeys(configFrom(opts));
      say(`key repository ready in ${keys.dir}`);
    },
  );
  addConfigOptions(fernet.command('rotate').description('promote the staged key to primary and stage a new one')).action(
    (opts: Record<string, unknown>) => {
      const keys = identityKeys(configFrom(opts));
      keys.rotate();
      say(`rotated keys in ${keys.dir}: ${keys.load().ids.join(', ')}`);
    },
  );
}
