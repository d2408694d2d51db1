import { useState, type FormEvent } from 'react';
import { signIn } from '../api/auth';
import { ErrorNote, Field } from '../components/ui';

export function SignIn({ notice }: { notice: string | undefined }) {
  const [domain, setDomain] = useState('Default');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    signIn(domain, user, password).catch((err: unknown) => {
      setError((err as Error).message);
      setBusy(false);
    });
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Kumo</h1>
        {notice ? <p className="notice">{notice}</p> : null}
        <Field label="Domain">
          <input name="domain" value={domain} onChange={(e) => setDomain(e.target.value)} required />
        </Field>
        <Field label="User name">
          <input name="username" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required autoFocus />
        </Field>
        <Field label="Password">
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </Field>
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
