import type { ComputeConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { ComputeKysely } from '../store/compute-database.js';
import type { ResourceServices } from './resource-services.js';

export interface ResourceServicesDeps {
  config: ComputeConfig;
  db: ComputeKysely;
  policy: PolicyEngine;
  log: Logger;
}

/** The resources half of the compute domain: the contract plus what its own routes need. */
export type ResourceServicesImpl = ResourceServices;

export function createResourceServices(_deps: ResourceServicesDeps): ResourceServicesImpl {
  throw new Error('not built yet');
}
