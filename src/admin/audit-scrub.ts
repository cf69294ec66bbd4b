// The audit log once held plugin entities and gateway settings as written, secrets in clear (it
// shows them as REDACTED only since secrets are sealed). This pass redacts them in the rows
// written before, once per store: it needs the plugins' schemas to know which fields are secret,
// so it runs where a node opens its store, not as a SQL migration.
//
// It pages through the rows of the entities that can hold secrets, oldest first, one page per
// transaction. Its progress (the next page's cursor) is a setting read "for update", so the nodes
// that start at once on one Postgres take the pages in turn, never the same page twice, and a node
// stopped half-way leaves the rest to the next start. Only rows with a secret still in clear are
// written, so running it again over rows already done changes nothing.
import type { PluginCatalog } from '../core/pipeline/compile.ts';
import { instanceSecretPlaces, redactAt, settingsSecretPlaces } from '../core/config/plugin-secrets.ts';
import { REDACTED, secretsIn, valueAt, type SecretPlace } from '../core/config/secret-fields.ts';
import type { Store } from '../store/ports.ts';
import type { AuditRow } from '../store/schema.ts';

/** The setting that records the scrub's progress, and that it is done. */
export const AUDIT_SCRUB_SETTING = 'audit-secrets-scrub';

/**
 * Raise it when a field becomes secret that older versions wrote to the audit log in clear: every
 * store is then scrubbed again, from the start.
 */
export const AUDIT_SCRUB_VERSION = 2;
// 2: request-transformer's values under credential names (Authorization, X-API-Key, api_key…).

/** The audit entities whose snapshots can hold secrets, in the order they are scrubbed. */
const ENTITIES = ['plugin', 'settings'] as const;

/** The setting's value: where the scrub is (entity index and cursor), or when it was done. */
interface ScrubProgress {
  readonly version: number;
  readonly entity: number;
  readonly cursor?: string;
  /** Rows redacted so far, by every node. */
  readonly redacted: number;
  readonly done_at?: string;
}

export interface ScrubOutcome {
  /** True when this call took the last page (or found the scrub done before it started: false). */
  readonly finished: boolean;
  /** Rows this call redacted. */
  readonly redacted: number;
  /** Rows redacted since the scrub began, by every node, as the store's record says (0 when stopped). */
  readonly total: number;
}

export interface ScrubOptions {
  /** Rows per transaction. */
  readonly pageSize?: number;
  /** Asked between pages: true stops (the node is shutting down; the next start goes on). */
  readonly stop?: () => boolean;
}

function progressOf(value: unknown): ScrubProgress {
  const p = value as Partial<ScrubProgress> | null;
  const fresh: ScrubProgress = { version: AUDIT_SCRUB_VERSION, entity: 0, redacted: 0 };
  if (p === null || typeof p !== 'object' || typeof p.version !== 'number' || typeof p.entity !== 'number') return fresh;
  // A newer version's scrub covers this one's fields (a node not yet upgraded must not restart it).
  if (p.version > AUDIT_SCRUB_VERSION) return { ...fresh, redacted: Number(p.redacted) || 0, done_at: p.done_at ?? 'by a newer version' };
  return p.version === AUDIT_SCRUB_VERSION ? p as ScrubProgress : fresh;
}

/** The secret places of one audit snapshot of `entity`. */
function placesOf(catalog: PluginCatalog, entity: string, snapshot: unknown): SecretPlace[] {
  return entity === 'plugin' ? instanceSecretPlaces(catalog, snapshot) : settingsSecretPlaces(snapshot);
}

/** The snapshot with its secrets REDACTED, or undefined when none is in clear (nothing to write). */
export function scrubbedSnapshot(catalog: PluginCatalog, entity: string, json: string | null): string | undefined {
  if (json === null) return undefined;
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(json);
  } catch {
    return undefined; // not JSON: not something this version wrote, and nothing it can read secrets in
  }
  const places = placesOf(catalog, entity, snapshot);
  const inClear = places.some((p) => secretsIn(valueAt(snapshot, p.pointer), p.kind).some((s) => s.text !== REDACTED));
  return inClear ? JSON.stringify(redactAt(snapshot, places)) : undefined;
}

function scrubbedRow(catalog: PluginCatalog, row: AuditRow): Pick<AuditRow, 'before' | 'after'> | undefined {
  // Only the gateway settings have secrets among the settings.
  if (row.entity === 'settings' && row.entity_key !== 'gateway') return undefined;
  const before = scrubbedSnapshot(catalog, row.entity, row.before);
  const after = scrubbedSnapshot(catalog, row.entity, row.after);
  if (before === undefined && after === undefined) return undefined;
  return { before: before ?? row.before, after: after ?? row.after };
}

/**
 * Redacts the secrets of audit rows written before the audit log redacted them, page by page,
 * unless the store records that this was done. Safe to run on several nodes at once.
 */
export async function scrubAuditSecrets(store: Store, catalog: PluginCatalog, opts: ScrubOptions = {}): Promise<ScrubOutcome> {
  const pageSize = opts.pageSize ?? 500;
  let redacted = 0;
  for (;;) {
    if (opts.stop?.() === true) return { finished: false, redacted, total: 0 };
    const step = await store.write(async (tx) => {
      const progress = progressOf(await tx.getSettingsForUpdate(AUDIT_SCRUB_SETTING));
      if (progress.done_at !== undefined) return { over: true, finished: false, total: progress.redacted };
      const entity = ENTITIES[progress.entity]!;
      const page = await tx.listAudit({ limit: pageSize, entity, descending: false, ...(progress.cursor !== undefined ? { cursor: progress.cursor } : {}) });
      let here = 0;
      for (const row of page.data) {
        const snapshots = scrubbedRow(catalog, row);
        if (snapshots !== undefined && await tx.rewriteAudit(row.id, snapshots)) here++;
      }
      const total = progress.redacted + here;
      const last = page.next_cursor === undefined && progress.entity === ENTITIES.length - 1;
      const next: ScrubProgress = page.next_cursor !== undefined
        ? { version: AUDIT_SCRUB_VERSION, entity: progress.entity, cursor: page.next_cursor, redacted: total }
        : last ? { version: AUDIT_SCRUB_VERSION, entity: progress.entity, redacted: total, done_at: new Date().toISOString() }
          : { version: AUDIT_SCRUB_VERSION, entity: progress.entity + 1, redacted: total };
      await tx.putSettings(AUDIT_SCRUB_SETTING, next);
      return { over: last, finished: last, total, here };
    });
    redacted += step.here ?? 0;
    if (step.over) return { finished: step.finished, redacted, total: step.total };
  }
}
