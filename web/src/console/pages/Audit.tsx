// The audit log: who changed what, when; filtered by entity kind, actor and time, paginated.
import { useState, type FormEvent } from 'react';
import { admin, call } from '../../api/client.ts';
import type { components } from '../../api/admin.gen/index.ts';
import { Button } from '../../ui/Button.tsx';
import { TextField } from '../../ui/Field.tsx';
import { Pagination } from '../../ui/Pagination.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { useAsync } from '../useAsync.ts';
import { PAGE_SIZE, useCursorPages } from './EntityPage.tsx';

type AuditEntry = components['schemas']['AuditEntry'];
interface Filters { entity: string; actor: string; since: string }

const columns: Column<AuditEntry>[] = [
  { key: 'at', header: 'When', render: (e) => <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time> },
  { key: 'actor', header: 'Who', truncate: (e) => e.actor, render: (e) => e.actor },
  { key: 'action', header: 'Action', render: (e) => e.action },
  { key: 'entity', header: 'Entity', render: (e) => e.entity },
  { key: 'key', header: 'Name', truncate: (e) => e.entity_key ?? e.entity_id ?? '', render: (e) => e.entity_key ?? e.entity_id ?? '' },
  { key: 'request', header: 'Request id', truncate: (e) => e.request_id ?? '', render: (e) => <code>{e.request_id ?? ''}</code> },
];

export default function AuditPage() {
  const [draft, setDraft] = useState<Filters>({ entity: '', actor: '', since: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [sinceError, setSinceError] = useState<string>();
  const pages = useCursorPages();
  const log = useAsync(() => {
    const query: Record<string, string | number> = { limit: PAGE_SIZE };
    if (pages.cursor) query.cursor = pages.cursor;
    if (filters.entity) query.entity = filters.entity;
    if (filters.actor) query.actor = filters.actor;
    if (filters.since) query.since = new Date(filters.since).toISOString();
    return call(admin.GET('/admin/audit', { params: { query } }));
  }, [filters, pages.cursor]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    if (draft.since && Number.isNaN(Date.parse(draft.since))) {
      setSinceError('a date and time, e.g. 2026-11-24 08:00');
      return;
    }
    setSinceError(undefined);
    pages.reset();
    setFilters(draft);
  };
  return (
    <>
      <form className="toolbar" onSubmit={apply} aria-label="Filter the audit log" noValidate>
        <TextField label="Entity kind" hint="e.g. route, plan, credential" value={draft.entity} onChange={(v) => setDraft({ ...draft, entity: v })} />
        <TextField label="Actor" value={draft.actor} onChange={(v) => setDraft({ ...draft, actor: v })} />
        <TextField label="Since" type="datetime-local" value={draft.since} error={sinceError} onChange={(v) => setDraft({ ...draft, since: v })} />
        <Button type="submit" variant="primary">Filter</Button>
      </form>
      <DataTable caption="Audit log" columns={columns} rows={log.data?.data} loading={log.loading} error={log.error} empty="No audit entries match." rowKey={(e) => e.id} />
      <Pagination page={pages.page} hasNext={log.data?.next_cursor !== undefined} onPrevious={pages.previous} onNext={() => log.data?.next_cursor && pages.next(log.data.next_cursor)} />
    </>
  );
}
