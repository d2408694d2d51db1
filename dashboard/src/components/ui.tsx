/** Small shared pieces: errors next to what caused them, tables, form fields, status badges, progress. */
import type { ReactNode } from 'react';

export function ErrorNote({ error }: { error: string | undefined }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      <div className="actions">{children}</div>
    </header>
  );
}

export interface Column<T> {
  title: string;
  cell: (row: T) => ReactNode;
}

export function Table<T>({
  rows,
  columns,
  rowKey,
  empty,
}: {
  rows: T[] | undefined;
  columns: Column<T>[];
  rowKey: (r: T) => string;
  empty: string;
}) {
  if (!rows) return <p className="muted">Loading…</p>;
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.title}>{c.title}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} data-row={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.title} data-label={c.title}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {hint ? <small className="muted">{hint}</small> : null}
    </label>
  );
}

const GOOD = new Set(['ACTIVE', 'active', 'UP', 'available', 'in-use']);
const BAD = new Set(['ERROR', 'error', 'DOWN', 'killed']);

export function Status({ value }: { value: string }) {
  const kind = GOOD.has(value) ? 'good' : BAD.has(value) ? 'bad' : 'busy';
  return <span className={`status ${kind}`}>{value}</span>;
}

export function Progress({ fraction, label }: { fraction: number; label: string }) {
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(fraction * 100)}
    >
      <div style={{ width: `${Math.round(fraction * 100)}%` }} />
      <span>{Math.round(fraction * 100)} %</span>
    </div>
  );
}

/** A usage bar of a quota: used of limit (-1: unlimited). */
export function QuotaBar({ name, used, limit }: { name: string; used: number; limit: number }) {
  const fraction = limit > 0 ? Math.min(1, used / limit) : 0;
  return (
    <figure className="quota">
      <svg viewBox="0 0 36 36" role="img" aria-label={`${name}: ${used} of ${limit < 0 ? 'unlimited' : limit}`}>
        <circle cx="18" cy="18" r="15.9" className="track" />
        <circle cx="18" cy="18" r="15.9" className={fraction > 0.9 ? 'fill high' : 'fill'} strokeDasharray={`${fraction * 100} 100`} />
      </svg>
      <figcaption>
        <strong>{name}</strong>
        <span>
          {used} of {limit < 0 ? '∞' : limit}
        </span>
      </figcaption>
    </figure>
  );
}

/** A form's Cancel and submit buttons. */
export function FormActions({ onCancel, disabled, children }: { onCancel: () => void; disabled: boolean; children: ReactNode }) {
  return (
    <div className="form-actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary" disabled={disabled}>
        {children}
      </button>
    </div>
  );
}
