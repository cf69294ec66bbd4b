// A data table with its three non-data states (loading, error, empty) rendered in the table's
// place, so a page never shows a blank area. Cells truncate long text and keep it in a title.
import type { ReactNode } from 'react';
import { Spinner } from './Spinner.tsx';

export interface Column<T> {
  key: string;
  header: string;
  render(row: T): ReactNode;
  /** Truncate with an ellipsis (the full text in a tooltip). */
  truncate?: (row: T) => string;
}

export function DataTable<T>({ caption, columns, rows, loading, error, empty, rowKey }: {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly T[] | undefined;
  loading?: boolean;
  error?: string | undefined;
  empty: string;
  rowKey(row: T): string;
}) {
  let state: ReactNode = null;
  if (error) state = <div className="table-state error" role="alert">{error}</div>;
  else if (loading && !rows) state = <div className="table-state"><Spinner label={`Loading ${caption.toLowerCase()}`} /></div>;
  else if (!rows || rows.length === 0) state = <div className="table-state">{empty}</div>;
  return (
    // On narrow screens the table scrolls sideways inside this region, which therefore takes focus
    // (keyboard users scroll it with the arrow keys) and is named after the table.
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      {state ?? (
        <table className="table">
          <caption className="visually-hidden">{caption}</caption>
          <thead><tr>{columns.map((c) => <th key={c.key} scope="col">{c.header}</th>)}</tr></thead>
          <tbody>
            {rows!.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c) => {
                  const full = c.truncate?.(row);
                  return <td key={c.key} className={full !== undefined ? 'truncate' : undefined} title={full}>{c.render(row)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
