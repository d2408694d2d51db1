import type { IdentityConfig } from '../../lib/config/config.js';
import type { Logger } from '../../lib/log.js';
import type { PolicyEngine } from '../../lib/policy/policy-engine.js';
import type { IdentityKysely } from '../store/identity-database.js';
import type { Revision } from './revision.js';

/** What every identity domain service is built from; passed in, never global. */
export interface IdentityContext {
  readonly config: IdentityConfig;
  readonly db: IdentityKysely;
  readonly policy: PolicyEngine;
  readonly revision: Revision;
  readonly log: Logger;
}
