// One page per config collection: a paginated table, and (for editors and admins) create, edit
// and delete through dialogs whose forms come from the entity's schema.
import { useState } from 'react';
import { messageOf } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { Button } from '../../ui/Button.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { Pagination } from '../../ui/Pagination.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { EntityEditor } from '../EntityEditor.tsx';
import { cellText, deleteEntity, getEntity, listEntities, type Entity, type KindInfo } from '../entities.ts';
import { useSession } from '../session.tsx';
import { useAsync } from '../useAsync.ts';

export const PAGE_SIZE = 25;

/** Cursor pagination state: the cursors of the pages before this one. */
export function useCursorPages() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (cursor: string) => setStack((s) => [...s, cursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

export function EntityPage({ kind }: { kind: KindInfo }) {
  const session = useSession();
  const toast = useToast();
  const pages = useCursorPages();
  const list = useAsync(() => listEntities(kind.collection, { limit: PAGE_SIZE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }), [kind.collection, pages.cursor]);
  const [editing, setEditing] = useState<{ entity?: Entity; etag?: string | undefined } | undefined>();
  const [deleting, setDeleting] = useState<Entity>();
  const [busy, setBusy] = useState(false);

  const openEdit = async (e: Entity) => {
    try {
      const fresh = await getEntity(kind.collection, e.id);
      setEditing({ entity: fresh.entity, etag: fresh.etag });
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
  };
  const confirmDelete = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await deleteEntity(kind.collection, deleting.id);
      toast.show(`Deleted ${kind.singular} ${deleting.name ?? deleting.id}`);
      setDeleting(undefined);
      list.reload();
    } catch (err) {
      toast.show(messageOf(err), 'error');
    } finally {
      setBusy(false);
    }
  };

  const label = (e: Entity) => e.name ?? e.id;
  const columns: Column<Entity>[] = [
    {
      key: 'name', header: 'Name', truncate: label,
      render: (e) => (kind.collection === 'consumers' ? <Link href={`/console/consumers/${encodeURIComponent(label(e))}`}>{label(e)}</Link> : label(e)),
    },
    ...kind.columns.map(([field, header]) => ({ key: field, header, truncate: (e: Entity) => cellText(e[field]), render: (e: Entity) => cellText(e[field]) })),
    ...(session.canEdit ? [{
      key: 'actions', header: 'Actions',
      render: (e: Entity) => (
        <div className="btn-row">
          <Button small onClick={() => void openEdit(e)} aria-label={`Edit ${label(e)}`}>Edit</Button>
          <Button small variant="danger" onClick={() => setDeleting(e)} aria-label={`Delete ${label(e)}`}>Delete</Button>
        </div>
      ),
    }] : []),
  ];

  return (
    <>
      <div className="toolbar">
        <p className="hint">{session.canEdit ? `Changes reach the gateway within a second.` : 'You have read-only (viewer) access.'}</p>
        {session.canEdit ? <Button variant="primary" onClick={() => setEditing({})}>New {kind.singular}</Button> : null}
      </div>
      <DataTable caption={kind.title} columns={columns} rows={list.data?.data} loading={list.loading} error={list.error} empty={`No ${kind.title.toLowerCase()} yet.`} rowKey={(e) => e.id} />
      <Pagination page={pages.page} hasNext={list.data?.next_cursor !== undefined} onPrevious={pages.previous} onNext={() => list.data?.next_cursor && pages.next(list.data.next_cursor)} />
      <Dialog open={editing !== undefined} title={editing?.entity ? `Edit ${kind.singular} ${label(editing.entity)}` : `New ${kind.singular}`} onClose={() => setEditing(undefined)}>
        {editing ? <EntityEditor kind={kind} {...(editing.entity ? { entity: editing.entity, etag: editing.etag } : {})} onCancel={() => setEditing(undefined)} onSaved={() => { setEditing(undefined); list.reload(); }} /> : null}
      </Dialog>
      <Dialog open={deleting !== undefined} title={`Delete ${kind.singular}?`} onClose={() => setDeleting(undefined)}>
        <p>Delete {kind.singular} <strong>{deleting ? label(deleting) : ''}</strong>? This cannot be undone.</p>
        <div className="btn-row">
          <Button variant="danger" busy={busy} onClick={() => void confirmDelete()}>Delete</Button>
          <Button onClick={() => setDeleting(undefined)}>Cancel</Button>
        </div>
      </Dialog>
    </>
  );
}
