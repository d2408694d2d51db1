/** Shared pieces of the console tests: a fake server lookup and a console database. */
import type { ComputeCaller } from '../../src/compute/domain/caller.js';
import type { ConsoleTarget, ConsoleTargets } from '../../src/compute/domain/console-targets.js';
import { consoles } from '../../src/compute/store/migrations/0003-consoles.js';
import type { ComputeDB } from '../../src/compute/store/schema.js';
import { openDatabase, type Database } from '../../src/lib/db/database.js';
import { migrateToLatest } from '../../src/lib/db/migrations.js';
import { notFound } from '../../src/lib/errors.js';
import { PowerState, type InstanceSpec } from '../../src/lib/rpc/compute-rpc.js';

/** A database holding only the console tables (the other compute migrations belong to other parts). */
export async function openConsoleDatabase(url: string): Promise<Database<ComputeDB>> {
  const database = await openDatabase<ComputeDB>(url);
  await migrateToLatest(database.db as never, 'compute', { '0003_consoles': consoles });
  return database;
}

export function caller(projectId: string, opts: { admin?: boolean } = {}): ComputeCaller {
  return {
    userId: `user-${projectId}`,
    projectId,
    isAdmin: opts.admin ?? false,
    roles: opts.admin ? ['admin', 'member'] : ['member'],
    requestId: `req-${projectId}`,
    token: `token-${projectId}`,
  };
}

export function instanceSpec(uuid: string, projectId: string): InstanceSpec {
  return {
    uuid,
    name: 'instance-00000001',
    displayName: 'vm',
    hostname: 'vm',
    projectId,
    userId: `user-${projectId}`,
    flavor: { flavorId: '1', name: 'm1.tiny', vcpus: 1, memoryMb: 64, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} },
    image: null,
    keyName: null,
    keyData: null,
    userData: null,
    metadata: {},
    configDrive: false,
    availabilityZone: null,
    launchIndex: 0,
    vmState: 'active',
    taskState: null,
    powerState: PowerState.RUNNING,
    networks: [],
  };
}

/** Servers by uuid; a caller sees its own project's, an admin every one (as the servers part promises). */
export class FakeConsoleTargets implements ConsoleTargets {
  readonly servers = new Map<string, ConsoleTarget>();

  add(uuid: string, projectId: string, host: string | null, status = 'ACTIVE'): ConsoleTarget {
    const t = { uuid, host, status, instance: instanceSpec(uuid, projectId) };
    this.servers.set(uuid, t);
    return t;
  }

  async resolve(c: ComputeCaller, serverId: string): Promise<ConsoleTarget> {
    const t = this.servers.get(serverId);
    if (!t || (!c.isAdmin && t.instance.projectId !== c.projectId))
      throw notFound(`Instance ${serverId} could not be found.`, 'instance_not_found');
    return t;
  }
}
