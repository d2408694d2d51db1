import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import { AllocationStore } from '../store/allocation-store.js';
import { NameStore } from '../store/name-store.js';
import type { PlacementKysely } from '../store/placement-database.js';
import { ProviderStore } from '../store/provider-store.js';
import { AllocationService } from './allocation-service.js';
import { CandidateService } from './candidate-service.js';
import { ProviderService } from './provider-service.js';
import { ResourceClassService } from './resource-class-service.js';
import { TraitService } from './trait-service.js';

/** Everything the placement API routes use. */
export interface PlacementServices {
  policy: PolicyEngine;
  providers: ProviderService;
  allocations: AllocationService;
  candidates: CandidateService;
  resourceClasses: ResourceClassService;
  traits: TraitService;
}

export function createPlacementServices(db: PlacementKysely, policy: PolicyEngine, log: Logger): PlacementServices {
  const providerStore = new ProviderStore(db);
  const allocationStore = new AllocationStore(db);
  const classNames = new NameStore(db, 'custom_resource_classes');
  const traitNames = new NameStore(db, 'custom_traits');
  const providers = new ProviderService(providerStore, allocationStore, classNames, traitNames, log);
  return {
    policy,
    providers,
    allocations: new AllocationService(allocationStore, providers),
    candidates: new CandidateService(allocationStore),
    resourceClasses: new ResourceClassService(classNames, providerStore),
    traits: new TraitService(traitNames, providerStore),
  };
}
