/** Placement's domain objects, as the store hands them over. */
export interface Provider {
  uuid: string;
  name: string;
  generation: number;
  parentUuid: string | null;
  rootUuid: string;
  createdAt: string;
  updatedAt: string;
}

export interface Inventory {
  resourceClass: string;
  total: number;
  reserved: number;
  minUnit: number;
  maxUnit: number;
  stepSize: number;
  allocationRatio: number;
}

export interface Consumer {
  uuid: string;
  projectId: string;
  userId: string;
  consumerType: string | null;
  generation: number;
}

/** One row of usage: what a consumer holds of a class on a provider. */
export interface AllocationRow {
  consumerUuid: string;
  providerUuid: string;
  resourceClass: string;
  used: number;
}

/** The allocations one consumer asks for, provider → class → amount. */
export interface ConsumerClaim {
  consumerUuid: string;
  /** Empty means "remove every allocation of this consumer". */
  allocations: Record<string, Record<string, number>>;
  projectId: string;
  userId: string;
  /** undefined: keep what the consumer has (requests before 1.38 cannot name one). */
  consumerType?: string | null;
  /** undefined: not checked (microversion < 1.28); null: the consumer must be new. */
  consumerGeneration?: number | null;
}

export const MAX_INT = 2147483647;

/** Capacity as placement computes it: (total - reserved) × allocation_ratio. */
export function capacityOf(inv: Inventory): number {
  return Math.floor((inv.total - inv.reserved) * inv.allocationRatio);
}
