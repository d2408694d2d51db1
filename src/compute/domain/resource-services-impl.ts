import type { ComputeConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ComputeKysely } from '../store/compute-database.js';
import { AggregateService } from './aggregate-service.js';
import { FlavorService } from './flavor-service.js';
import { HostService } from './host-service.js';
import { KeypairService } from './keypair-service.js';
import { QuotaService } from './quota-service.js';
import type { ResourceServices } from './resource-services.js';
import { ServerGroupService } from './server-group-service.js';
import { UsageService } from './usage-service.js';

export interface ResourceServicesDeps {
  config: ComputeConfig;
  db: ComputeKysely;
  policy: PolicyEngine;
  log: Logger;
}

/** The resources half of the compute domain: the contract plus what its own routes need. */
export interface ResourceServicesImpl extends ResourceServices {
  flavors: FlavorService;
  keypairs: KeypairService;
  quotas: QuotaService;
  serverGroups: ServerGroupService;
  hosts: HostService;
  aggregates: AggregateService;
  usage: UsageService;
  policy: PolicyEngine;
  config: ComputeConfig;
}

export function createResourceServices(deps: ResourceServicesDeps): ResourceServicesImpl {
  const quotas = new QuotaService(deps.db, deps.config);
  const hosts = new HostService(deps.db, deps.config);
  return {
    flavors: new FlavorService(deps.db),
    keypairs: new KeypairService(deps.db, quotas),
    quotas,
    serverGroups: new ServerGroupService(deps.db, quotas),
    hosts,
    aggregates: new AggregateService(deps.db, hosts),
    usage: new UsageService(deps.db),
    policy: deps.policy,
    config: deps.config,
  };
}
