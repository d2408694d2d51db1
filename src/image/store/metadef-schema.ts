/**
 * Tables of the metadata definitions catalog (metadefs). Children refer to
 * their namespace by its id, so renaming a namespace touches one row.
 * Property definitions and object properties are JSON text: they are
 * documents the catalog stores and returns, never queried inside.
 */
export interface MetadefNamespaceRow {
  id: string;
  /** The unique name clients address the namespace by (`OS::Compute::Libvirt`). */
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: number;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

export interface MetadefObjectRow {
  id: string;
  namespace_id: string;
  name: string;
  description: string | null;
  /** JSON array of required property names, or null. */
  required: string | null;
  /** JSON object: property name → definition, or null. */
  properties: string | null;
  created_at: string;
  updated_at: string;
}

export interface MetadefPropertyRow {
  id: string;
  namespace_id: string;
  name: string;
  /** JSON object: the property's definition (title, type, enum, ...), without its name. */
  definition: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefTagRow {
  id: string;
  namespace_id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefResourceTypeRow {
  name: string;
  /** Seeded system types (OS::Glance::Image, ...). */
  protected: number;
  created_at: string;
  updated_at: string;
}

export interface MetadefResourceTypeAssociationRow {
  namespace_id: string;
  resource_type: string;
  prefix: string | null;
  properties_target: string | null;
  created_at: string;
  updated_at: string;
}

export interface MetadefDB {
  metadef_namespaces: MetadefNamespaceRow;
  metadef_objects: MetadefObjectRow;
  metadef_properties: MetadefPropertyRow;
  metadef_tags: MetadefTagRow;
  metadef_resource_types: MetadefResourceTypeRow;
  metadef_namespace_resource_types: MetadefResourceTypeAssociationRow;
}
