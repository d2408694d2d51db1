/** Who asks the network service. */
export interface NetworkCaller {
  userId: string;
  projectId: string | null;
  isAdmin: boolean;
}

/** The network service acting for itself: its own ports (router legs, floating IPs, DHCP) and their clean-up. */
export const SERVICE_CALLER: NetworkCaller = { userId: '', projectId: null, isAdmin: true };

/** Neutron hides what a project may not see: not another project's resource, unless admin. */
export const owns = (caller: NetworkCaller, projectId: string): boolean => caller.isAdmin || caller.projectId === projectId;
