/** Who is asking, as the compute domain needs it (built by api/route-helpers.ts `callerOf`). */
export interface ComputeCaller {
  userId: string;
  projectId: string | null;
  /** `context_is_admin` of the policy (admin role). */
  isAdmin: boolean;
  roles: string[];
  /** Request id (`req-...`) for instance actions. */
  requestId: string;
  /** The caller's token, for calls to the image service on their behalf. */
  token: string;
}
