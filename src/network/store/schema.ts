/**
 * Neutron's resources share one shape: an id, an owner, an optional parent
 * (a subnet's or port's network, a rule's group) and a JSON document of
 * attributes; standard attributes (times, revision) are columns. Uniqueness
 * that must hold across processes (an address in a subnet, a MAC on a
 * network, a segmentation id, a project's default group) is a row in
 * `network_claims`, whose primary key the database enforces.
 */
export interface NetworkResourceTable {
  id: string;
  kind: string;
  project_id: string;
  parent_id: string | null;
  body: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface NetworkClaimTable {
  claim: string;
  owner_id: string;
}

export interface NetworkQuotaTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface NetworkDB {
  network_resources: NetworkResourceTable;
  network_claims: NetworkClaimTable;
  network_quotas: NetworkQuotaTable;
}
