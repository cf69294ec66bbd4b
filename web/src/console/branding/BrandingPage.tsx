// Portal branding in the console: the portal's name, colours (with live WCAG contrast warnings)
// and logo, previewed as the portal will show them before saving; and the portal's custom pages
// in Markdown, with a live preview rendered by the server's own renderer (what you see is what
// the portal serves). Viewers see everything read-only.
import { useEffect, useState, type FormEvent } from 'react';
import { admin, call, messageOf } from '../../api/client.ts';
import type { components } from '../../api/admin.gen/index.ts';
import { Badge } from '../../ui/Badge.tsx';
import { Button } from '../../ui/Button.tsx';
import { CheckboxField, TextField } from '../../ui/Field.tsx';
import { Dialog } from '../../ui/Dialog.tsx';
import { Spinner } from '../../ui/Spinner.tsx';
import { DataTable, type Column } from '../../ui/Table.tsx';
import { Tabs } from '../../ui/Tabs.tsx';
import { useToast } from '../../ui/Toast.tsx';
import { contrastWarnings, textOn } from '../../../../src/core/branding/contrast.ts';
import { useSession } from '../session.tsx';
import { useAsync } from '../useAsync.ts';
import './branding.css';

type Branding = components['schemas']['PortalBranding'];
type PortalPage = components['schemas']['PortalPage'];
interface Look { name: string; primary_color: string; accent_color: string }

const HEX = /^#[0-9a-fA-F]{6}$/;
const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'];
const LOGO_MAX = 256 * 1024;

function ColourField({ label, hint, value, onChange, error, disabled }: { label: string; hint: string; value: string; onChange(v: string): void; error?: string | undefined; disabled: boolean }) {
  // A colour picker and the same value as text (typed, pasted, read by a screen reader).
  return (
    <div className="colour-field">
      <TextField label={label} hint={hint} value={value} error={error} onChange={onChange} placeholder="#1f4b99" />
      <input type="color" className="colour-swatch" aria-label={`${label} picker`} value={HEX.test(value) ? value.toLowerCase() : '#000000'} disabled={disabled} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

/** A small portal header, button and link in the chosen look (not the real portal: no requests). */
function Preview({ look, logoUrl }: { look: Look; logoUrl: string | null }) {
  const ok = HEX.test(look.primary_color) && HEX.test(look.accent_color);
  const primary = ok ? look.primary_color : '#1f4b99';
  const accent = ok ? look.accent_color : '#2563eb';
  const ref = (el: HTMLDivElement | null) => {
    // Custom properties set through the CSSOM (inline style attributes are refused by the CSP).
    if (!el) return;
    el.style.setProperty('--preview-primary', primary);
    el.style.setProperty('--preview-primary-text', textOn(primary));
    el.style.setProperty('--preview-accent', accent);
  };
  return (
    <figure className="branding-preview" aria-label="Preview of the portal's header">
      <div ref={ref} className="branding-preview-frame" key={`${primary}${accent}`}>
        <div className="branding-preview-header">
          {logoUrl ? <img src={logoUrl} alt="" className="branding-preview-logo" /> : null}
          <strong className="branding-preview-name">{look.name.trim() || 'Developer portal'}</strong>
        </div>
        <div className="branding-preview-body">
          <span className="branding-preview-link">A link in the primary colour</span>
          <span className="branding-preview-button">Sign up</span>
        </div>
      </div>
      <figcaption className="hint">Preview. Saved changes show in the portal on its next page load.</figcaption>
    </figure>
  );
}

/** A file's bytes as base64 (in chunks: spreading 256 KiB of arguments at once can overflow the stack). */
async function readFile(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function LookEditor() {
  const session = useSession();
  const toast = useToast();
  const current = useAsync(() => call(admin.GET('/admin/portal/branding')), []);
  const [look, setLook] = useState<Look>();
  const [saving, setSaving] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [logoError, setLogoError] = useState<string>();
  const [saved, setSaved] = useState<Branding>();
  const b = saved ?? current.data;
  useEffect(() => {
    if (current.data && !look) setLook({ name: current.data.name, primary_color: current.data.primary_color, accent_color: current.data.accent_color });
  }, [current.data, look]);
  if (current.error) return <p role="alert" className="table-state error">The branding could not be loaded: {current.error}</p>;
  if (!look || !b) return <div className="table-state"><Spinner label="Loading the branding" /></div>;
  const errors = {
    name: look.name.trim() === '' ? 'a name is required' : look.name.length > 80 ? 'at most 80 characters' : undefined,
    primary_color: HEX.test(look.primary_color) ? undefined : 'a colour as #rrggbb',
    accent_color: HEX.test(look.accent_color) ? undefined : 'a colour as #rrggbb',
  };
  const valid = !errors.name && !errors.primary_color && !errors.accent_color;
  const warnings = valid ? contrastWarnings(look.primary_color.toLowerCase(), look.accent_color.toLowerCase()) : [];
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!valid) return;
    setSaving(true);
    try {
      setSaved(await call(admin.PUT('/admin/portal/branding', { body: look, headers: { 'If-Match': `"v${b.version}"` } })));
      toast.show('Branding saved');
    } catch (err) {
      toast.show(messageOf(err), 'error');
    } finally {
      setSaving(false);
    }
  };
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setLogoError(undefined);
    if (!LOGO_TYPES.includes(file.type)) return setLogoError('a PNG, JPEG or SVG image');
    if (file.size > LOGO_MAX) return setLogoError(`the file is ${Math.ceil(file.size / 1024)} KiB; at most 256 KiB`);
    setUploading(true);
    try {
      setSaved(await call(admin.PUT('/admin/portal/branding/logo', { body: { content_type: file.type as 'image/png', data: await readFile(file) }, headers: { 'If-Match': `"v${b.version}"` } })));
      toast.show('Logo uploaded');
    } catch (err) {
      setLogoError(messageOf(err));
    } finally {
      setUploading(false);
    }
  };
  const removeLogo = async () => {
    try {
      await call(admin.DELETE('/admin/portal/branding/logo', { headers: { 'If-Match': `"v${b.version}"` } }));
      setSaved({ ...b, logo: null, version: b.version + 1 });
      toast.show('Logo removed');
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
  };
  const logoUrl = b.logo?.url ?? null;
  return (
    <div className="branding-grid">
      <form onSubmit={save} aria-label="Portal look" noValidate>
        <fieldset className="group" disabled={!session.canEdit}>
          <legend>Name and colours</legend>
          <TextField label="Portal name" required value={look.name} error={errors.name} onChange={(v) => setLook({ ...look, name: v })} hint="In the portal's header and browser tab." />
          <ColourField label="Primary colour" hint="Buttons, links, the current page in the navigation." value={look.primary_color} error={errors.primary_color} disabled={!session.canEdit} onChange={(v) => setLook({ ...look, primary_color: v })} />
          <ColourField label="Accent colour" hint="The line under the header and highlights." value={look.accent_color} error={errors.accent_color} disabled={!session.canEdit} onChange={(v) => setLook({ ...look, accent_color: v })} />
        </fieldset>
        <div aria-live="polite">
          {warnings.length > 0 ? (
            <div className="branding-warnings" role="status">
              <strong>Contrast below WCAG AA</strong>
              <ul>{warnings.map((w) => <li key={w.message}>{w.message}</li>)}</ul>
              <span className="hint">You can still save; people with low vision may find the portal hard to read.</span>
            </div>
          ) : valid ? <p className="hint"><Badge tone="success">AA</Badge> Both colours meet WCAG AA contrast.</p> : null}
        </div>
        {session.canEdit ? <Button type="submit" variant="primary" busy={saving} disabled={!valid}>Save name and colours</Button> : null}
      </form>
      <div>
        <Preview look={look} logoUrl={logoUrl} />
        <section className="group branding-logo" aria-labelledby="logo-heading">
          <h2 id="logo-heading">Logo</h2>
          {logoUrl ? <img src={logoUrl} alt="The current logo" className="branding-logo-current" /> : <p className="hint">No logo: the portal shows its name only.</p>}
          {session.canEdit ? (
            <>
              <div className="field">
                <label htmlFor="logo-file">Upload a logo</label>
                <input id="logo-file" type="file" accept={LOGO_TYPES.join(',')} aria-describedby="logo-hint logo-error" aria-invalid={logoError ? true : undefined} disabled={uploading} onChange={(e) => void upload(e.target.files?.[0])} />
                <span id="logo-hint" className="hint">PNG, JPEG or SVG, at most 256 KiB. SVGs with scripts or external references are refused.</span>
                {logoError ? <span id="logo-error" className="error" role="alert">{logoError}</span> : null}
              </div>
              {uploading ? <Spinner label="Uploading the logo" /> : null}
              {logoUrl ? <Button small variant="danger" onClick={() => void removeLogo()}>Remove the logo</Button> : null}
            </>
          ) : null}
        </section>
      </div>
    </div>
  );
}

const EMPTY_PAGE = { slug: '', title: '', body: '', published: false, nav_order: 0 };
type PageDraft = typeof EMPTY_PAGE;

function PageEditor({ page, onDone }: { page: PortalPage | undefined; onDone(changed: boolean): void }) {
  const toast = useToast();
  const [draft, setDraft] = useState<PageDraft>(page ? { slug: page.slug, title: page.title, body: page.body, published: page.published, nav_order: page.nav_order } : EMPTY_PAGE);
  const [order, setOrder] = useState(String(draft.nav_order));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [summary, setSummary] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [html, setHtml] = useState<string>();
  const [previewError, setPreviewError] = useState<string>();
  // The preview follows the text, a moment after typing stops (one request per pause).
  useEffect(() => {
    const timer = setTimeout(() => {
      call(admin.POST('/admin/portal/pages/preview', { body: { body: draft.body } })).then((r) => { setHtml(r.html); setPreviewError(undefined); }, (err: unknown) => setPreviewError(messageOf(err)));
    }, 300);
    return () => clearTimeout(timer);
  }, [draft.body]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const navOrder = Number(order);
    if (!/^\d+$/.test(order) || navOrder > 1000) return setErrors({ nav_order: 'a whole number from 0 to 1000' });
    setSaving(true);
    setErrors({});
    setSummary(undefined);
    try {
      const body = { ...draft, nav_order: navOrder };
      if (page) await call(admin.PUT('/admin/portal/pages/{id}', { params: { path: { id: page.id } }, body, headers: { 'If-Match': `"v${page.version}"` } }));
      else await call(admin.POST('/admin/portal/pages', { body }));
      toast.show(page ? `Saved ${draft.title}` : `Created ${draft.title}`);
      onDone(true);
    } catch (err) {
      const problem = (err as { problem?: { errors?: { pointer: string; detail: string }[] } }).problem;
      const fieldErrors: Record<string, string> = {};
      for (const fe of problem?.errors ?? []) fieldErrors[fe.pointer.replace(/^\//, '').split('/')[0] ?? ''] = fe.detail;
      setErrors(fieldErrors);
      setSummary(messageOf(err));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate className="page-editor">
      {summary ? <div className="form-errors" role="alert">{summary}</div> : null}
      <div className="page-editor-grid">
        <div>
          <TextField label="Title" required value={draft.title} error={errors.title} onChange={(v) => setDraft({ ...draft, title: v })} />
          <TextField label="Slug" required value={draft.slug} error={errors.slug} hint={`The page's address: /pages/${draft.slug || 'slug'}. Lower-case letters, digits and dashes.`} onChange={(v) => setDraft({ ...draft, slug: v })} />
          <TextField label="Body (Markdown)" multiline value={draft.body} error={errors.body} hint="Raw HTML shows as text; links may only use http(s) or relative addresses." onChange={(v) => setDraft({ ...draft, body: v })} />
          <TextField label="Navigation order" inputMode="numeric" value={order} error={errors.nav_order} hint="Lowest first in the portal's page links." onChange={setOrder} />
          <CheckboxField label="Published (shown in the portal)" checked={draft.published} onChange={(v) => setDraft({ ...draft, published: v })} />
        </div>
        <section className="page-preview" aria-labelledby="page-preview-heading" aria-live="polite">
          <h3 id="page-preview-heading">Preview</h3>
          {previewError ? <p role="alert">{previewError}</p> : html === undefined ? <Spinner label="Rendering the preview" /> : (
            // Rendered by the server's page renderer: raw HTML escaped, only safe links.
            <div className="custom-page-body" dangerouslySetInnerHTML={{ __html: html }} />
          )}
        </section>
      </div>
      <div className="btn-row">
        <Button type="submit" variant="primary" busy={saving}>{page ? 'Save page' : 'Create page'}</Button>
        <Button onClick={() => onDone(false)}>Cancel</Button>
      </div>
    </form>
  );
}

function PagesEditor() {
  const session = useSession();
  const toast = useToast();
  const pages = useAsync(() => call(admin.GET('/admin/portal/pages')), []);
  const [editing, setEditing] = useState<{ page: PortalPage | undefined } | undefined>();
  const [deleting, setDeleting] = useState<PortalPage>();
  const remove = async (p: PortalPage) => {
    try {
      await call(admin.DELETE('/admin/portal/pages/{id}', { params: { path: { id: p.id } }, headers: { 'If-Match': `"v${p.version}"` } }));
      toast.show(`Deleted ${p.title}`);
    } catch (err) {
      toast.show(messageOf(err), 'error');
    }
    setDeleting(undefined);
    pages.reload();
  };
  const columns: Column<PortalPage>[] = [
    { key: 'title', header: 'Title', truncate: (p) => p.title, render: (p) => p.title },
    { key: 'slug', header: 'Address', truncate: (p) => `/pages/${p.slug}`, render: (p) => (p.published ? <a href={`/pages/${encodeURIComponent(p.slug)}`}>/pages/{p.slug}</a> : <code>/pages/{p.slug}</code>) },
    { key: 'status', header: 'Status', render: (p) => <Badge tone={p.published ? 'success' : 'neutral'}>{p.published ? 'published' : 'draft'}</Badge> },
    { key: 'order', header: 'Order', render: (p) => p.nav_order },
    { key: 'updated', header: 'Updated', render: (p) => <time dateTime={p.updated_at}>{new Date(p.updated_at).toLocaleString()}</time> },
    ...(session.canEdit ? [{
      key: 'actions', header: 'Actions',
      render: (p: PortalPage) => (
        <div className="btn-row">
          <Button small onClick={() => setEditing({ page: p })} aria-label={`Edit ${p.title}`}>Edit</Button>
          <Button small variant="danger" onClick={() => setDeleting(p)} aria-label={`Delete ${p.title}`}>Delete</Button>
        </div>
      ),
    }] : []),
  ];
  return (
    <>
      <div className="toolbar">
        <p className="hint">Pages written in Markdown, shown at <code>/pages/…</code> and linked from the portal's footer when published.</p>
        {session.canEdit ? <Button variant="primary" onClick={() => setEditing({ page: undefined })}>New page</Button> : null}
      </div>
      <DataTable caption="Custom pages" columns={columns} rows={pages.data?.data} loading={pages.loading} error={pages.error} empty="No custom pages yet." rowKey={(p) => p.id} />
      <Dialog open={editing !== undefined} title={editing?.page ? `Edit page ${editing.page.title}` : 'New page'} onClose={() => setEditing(undefined)}>
        {editing ? <PageEditor page={editing.page} onDone={(changed) => { setEditing(undefined); if (changed) pages.reload(); }} /> : null}
      </Dialog>
      <Dialog open={deleting !== undefined} title={`Delete page ${deleting?.title ?? ''}`} onClose={() => setDeleting(undefined)}>
        <p>The page disappears from the portal at once.</p>
        <div className="btn-row">
          <Button variant="danger" onClick={() => deleting && void remove(deleting)}>Delete</Button>
          <Button onClick={() => setDeleting(undefined)}>Cancel</Button>
        </div>
      </Dialog>
    </>
  );
}

export default function BrandingPage() {
  const [tab, setTab] = useState('look');
  return <Tabs label="Portal branding" selected={tab} onSelect={setTab} tabs={[
    { id: 'look', title: 'Name, colours and logo', content: () => <LookEditor /> },
    { id: 'pages', title: 'Custom pages', content: () => <PagesEditor /> },
  ]} />;
}
