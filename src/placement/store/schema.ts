/** Placement tables as kysely sees them. */
export interface ProviderTable {
  uuid: string;
  name: string;
  generation: number;
  parent_uuid: string | null;
  root_uuid: string;
  created_at: string;
  updated_at: string;
}

export interface InventoryTable {
  provider_uuid: string;
  resource_class: string;
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
}

export interface NameTable {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface ProviderTraitTable {
  provider_uuid: string;
  trait: string;
}

export interface ProviderAggregateTable {
  provider_uuid: string;
  aggregate_uuid: string;
}

export interface ConsumerTable {
  uuid: string;
  project_id: string;
  user_id: string;
  consumer_type: string | null;
  generation: number;
  created_at: string;
  updated_at: string;
}

export interface AllocationTable {
  consumer_uuid: string;
  provider_uuid: string;
  resource_class: string;
  used: number;
}

export interface PlacementDB {
  resource_providers: ProviderTable;
  inventories: InventoryTable;
  custom_resource_classes: NameTable;
  custom_traits: NameTable;
  provider_traits: ProviderTraitTable;
  provider_aggregates: ProviderAggregateTable;
  consumers: ConsumerTable;
  allocations: AllocationTable;
}
