/** Tables of flavors, key pairs, quotas, services/compute nodes and server groups (filled in by the resources part). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ResourceTables {}
