/** A user's project-scoped password login (service_auth, a service user). */
export interface PasswordCredentials {
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

/** The body of `POST /v3/auth/tokens` for a project-scoped password login. */
export function passwordAuthBody(c: PasswordCredentials): string {
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } },
      },
      scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
    },
  });
}
