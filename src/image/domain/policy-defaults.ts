/**
 * Default image policy: Glance Zed's rules with readers reading and members
 * writing (admin ⊃ member ⊃ reader by implied roles). Which images a caller
 * may see at all (visibility, ownership, membership) is decided by the image
 * service itself, as Glance's database layer does; these rules gate actions.
 * Operators override any rule with `image.policy_file`.
 */
export const IMAGE_POLICY: Readonly<Record<string, string>> = {
  context_is_admin: 'role:admin',
  default: 'role:reader',
  reader: 'role:reader',
  member: 'role:member',

  get_images: 'rule:reader',
  get_image: 'rule:reader',
  add_image: 'rule:member',
  modify_image: 'rule:member',
  delete_image: 'rule:member',
  upload_image: 'rule:member',
  download_image: 'rule:reader',
  publicize_image: 'rule:context_is_admin',
  communitize_image: 'rule:member',
  // Glance Zed lets an image's owner deactivate it (the domain checks ownership).
  deactivate: 'rule:member',
  reactivate: 'rule:member',
  add_image_tag: 'rule:member',
  delete_image_tag: 'rule:member',
  stage_image: 'rule:member',
  add_import: 'rule:member',
  manage_image_cache: 'rule:context_is_admin',

  get_members: 'rule:reader',
  get_member: 'rule:reader',
  add_member: 'rule:member',
  modify_member: 'rule:member',
  delete_member: 'rule:member',

  get_metadef_namespaces: 'rule:reader',
  get_metadef_namespace: 'rule:reader',
  add_metadef_namespace: 'rule:context_is_admin',
  modify_metadef_namespace: 'rule:context_is_admin',
  delete_metadef_namespace: 'rule:context_is_admin',
  get_metadef_objects: 'rule:reader',
  get_metadef_object: 'rule:reader',
  add_metadef_object: 'rule:context_is_admin',
  modify_metadef_object: 'rule:context_is_admin',
  delete_metadef_object: 'rule:context_is_admin',
  get_metadef_properties: 'rule:reader',
  get_metadef_property: 'rule:reader',
  add_metadef_property: 'rule:context_is_admin',
  modify_metadef_property: 'rule:context_is_admin',
  remove_metadef_property: 'rule:context_is_admin',
  get_metadef_tags: 'rule:reader',
  get_metadef_tag: 'rule:reader',
  add_metadef_tag: 'rule:context_is_admin',
  add_metadef_tags: 'rule:context_is_admin',
  modify_metadef_tag: 'rule:context_is_admin',
  delete_metadef_tag: 'rule:context_is_admin',
  delete_metadef_tags: 'rule:context_is_admin',
  list_metadef_resource_types: 'rule:reader',
  get_metadef_resource_type: 'rule:reader',
  add_metadef_resource_type_association: 'rule:context_is_admin',
  remove_metadef_resource_type_association: 'rule:context_is_admin',
};
