/**
 * The navigation: sections, their pages, and the service each needs. A page
 * whose service is not in the user's catalog is not shown, so block storage,
 * object storage and orchestration slot in when those services arrive.
 */
import type { Service } from './api/client';

export interface NavItem {
  path: string;
  title: string;
  service?: Service;
}

export interface NavSection {
  title: string;
  adminOnly?: boolean;
  items: NavItem[];
}

export const NAV: NavSection[] = [
  {
    title: 'Project',
    items: [
      { path: '/project/overview', title: 'Overview', service: 'compute' },
      { path: '/project/instances', title: 'Instances', service: 'compute' },
      { path: '/project/images', title: 'Images', service: 'image' },
      { path: '/project/key_pairs', title: 'Key Pairs', service: 'compute' },
      { path: '/project/volumes', title: 'Volumes', service: 'volumev3' },
      { path: '/project/containers', title: 'Containers', service: 'object-store' },
      { path: '/project/stacks', title: 'Stacks', service: 'orchestration' },
    ],
  },
  {
    title: 'Network',
    items: [
      { path: '/project/network_topology', title: 'Topology', service: 'network' },
      { path: '/project/networks', title: 'Networks', service: 'network' },
      { path: '/project/routers', title: 'Routers', service: 'network' },
      { path: '/project/floating_ips', title: 'Floating IPs', service: 'network' },
      { path: '/project/security_groups', title: 'Security Groups', service: 'network' },
    ],
  },
  {
    title: 'Admin',
    adminOnly: true,
    items: [
      { path: '/admin/instances', title: 'All Instances', service: 'compute' },
      { path: '/admin/hypervisors', title: 'Hypervisors', service: 'compute' },
      { path: '/admin/flavors', title: 'Flavors', service: 'compute' },
      { path: '/identity/projects', title: 'Projects' },
      { path: '/identity/users', title: 'Users' },
      { path: '/identity/groups', title: 'Groups' },
      { path: '/identity/roles', title: 'Roles' },
    ],
  },
];
