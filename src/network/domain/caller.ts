/** Who asks the network service. */
export interface NetworkCaller {
  userId: string;
  projectId: string | null;
  isAdmin: boolean;
}

/** Neutron hides what a project may not see: not another project's resource, unless admin. */
export const owns = (caller: NetworkCaller, projectId: string): boolean => caller.isAdmin || caller.projectId === projectId;
