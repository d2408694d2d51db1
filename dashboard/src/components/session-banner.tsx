/** Shown in the last minutes of a session: the password renews it without leaving the page. */
import { useEffect, useState, type FormEvent } from 'react';
import { renewSession } from '../api/auth';
import type { Session } from '../api/session-store';
import { ErrorNote } from './ui';

const WARN_MS = 5 * 60_000;

export function SessionBanner({ session }: { session: Session }) {
  const [now, setNow] = useState(Date.now());
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(t);
  }, []);
  const left = Date.parse(session.expiresAt) - now;
  if (left > WARN_MS) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    renewSession(password).then(
      () => {
        setPassword('');
        setBusy(false);
        setNow(Date.now());
      },
      (err: unknown) => {
        setError((err as Error).message);
        setBusy(false);
      },
    );
  };
  return (
    <form className="session-banner" aria-live="polite" aria-label="Renew session" onSubmit={submit}>
      <span>Your session ends in {Math.max(0, Math.ceil(left / 60_000))} min. Enter your password to stay signed in:</span>
      <input
        type="password"
        aria-label="Password to renew the session"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
      />
      <button type="submit" disabled={busy}>
        Stay signed in
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
