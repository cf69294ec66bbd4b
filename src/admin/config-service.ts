// The one write path for configuration: admin API, `portcullis config apply`, OpenAPI import and
// the demo seed all come through here. Every write runs in a store transaction that takes the
// config write lock, rebuilds the whole document, checks it exactly as a reload would (schema,
// references, plugin configs, route patterns, router build) and only then commits, writes the
// audit log and bumps the revision, which every gateway node is told about.
// Secrets (plugin fields their schema marks, the password in gateway.redis.url) are sealed at the
// store boundary: this service reads them opened (plaintext, for the checks and the diff), writes
// them sealed, and shows them to anyone (API answers, export, diff, audit log) only as the
// REDACTED marker.
import { ConfigError, pointerToPath, type ConfigIssue } from '../core/config/errors.ts';
import type { Config, GatewaySettings } from '../core/config/schema.ts';
import { ConfigSchema, GatewaySettingsSchema } from '../core/config/schema.ts';
import { announceEntityChange } from './platform-events.ts';
import { validate } from '../core/config/validate.ts';
import { assemble, decompose, emptySets, type EntityRecord, type EntitySets } from '../core/entities/document.ts';
import { KIND_NAMES, KINDS, pluginScope, type EntityData, type KindName } from '../core/entities/kinds.ts';
import type { PluginCatalog } from '../core/pipeline/compile.ts';
import { checkDocument } from '../core/snapshot/check.ts';
import { specsFor } from './specs.ts';
import type { Snapshot } from '../core/snapshot/compile.ts';
import type { StoredEntity, Store, StoreSession } from '../store/ports.ts';
import type { MasterKey } from '../core/identity/sealed.ts';
import { describeSecretPointer, documentSecretPlaces, instanceSecretPlaces, openAt, redactAt, resolveMarkers, sealAt, SecretOpenError, settingsSecretPlaces } from '../core/config/plugin-secrets.ts';
import { REDACTED, type SecretPlace } from '../core/config/secret-fields.ts';
import { uuidv7 } from '../store/ids.ts';

/** Who made a change, for the audit log. */
export interface Actor {
  readonly name: string;
  readonly requestId?: string;
}

/** A write the store refused for the content: `issues` point into the request body ("" = whole). */
export class WriteValidationError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'));
    this.issues = issues;
  }
}

/** Deleting or renaming would leave references dangling. */
export class InUseError extends WriteValidationError {}
export class NotFoundError extends Error {}

export interface LoadedConfig {
  readonly revision: number;
  readonly config: Config;
  readonly snapshot: Snapshot;
}

export interface PlannedChange {
  readonly action: 'create' | 'update' | 'delete';
  readonly kind: KindName | 'settings';
  readonly key: string;
  /** Changed fields (update only): dotted paths with before/after values. */
  readonly fields?: { path: string; before: unknown; after: unknown }[];
  readonly moved?: boolean;
}

export interface ApplyResult {
  readonly changes: PlannedChange[];
  readonly revision: number;
  readonly applied: boolean;
}

const SECTION_OF_KIND: Record<KindName, string> = { service: 'services', route: 'routes', plugin: 'plugins', consumer: 'consumers', plan: 'plans', product: 'products', subscription: 'subscriptions', trading_partner: 'trading_partners' };

export class ConfigService {
  readonly store: Store;
  readonly #catalog: PluginCatalog;
  readonly #master: MasterKey;

  /** `masterKey` seals plugin secrets at rest: every node on this store needs the same one. */
  constructor(store: Store, catalog: PluginCatalog, masterKey: MasterKey) {
    this.store = store;
    this.#catalog = catalog;
    this.#master = masterKey;
  }

  // --- secrets ----------------------------------------------------------------------------------

  #secretPlaces(kind: KindName, data: unknown): SecretPlace[] {
    return kind === 'plugin' ? instanceSecretPlaces(this.#catalog, data) : [];
  }

  /** An entity's data as anyone may see it: plugin secrets REDACTED (sealed or not). */
  shown(kind: KindName, data: EntityData): EntityData {
    return redactAt(data, this.#secretPlaces(kind, data));
  }

  /** Gateway settings as anyone may see them: the Redis password REDACTED. */
  shownSettings<T>(settings: T): T {
    return redactAt(settings, settingsSecretPlaces(settings));
  }

  /** A stored entity for an API answer. */
  presentable(kind: KindName, entity: StoredEntity): StoredEntity {
    return kind === 'plugin' ? { ...entity, data: this.shown(kind, entity.data) } : entity;
  }

  /** A config document with every secret REDACTED. */
  redactDocument<T>(doc: T): T {
    return redactAt(doc, documentSecretPlaces(this.#catalog, doc));
  }

  /** A stored entity with its secrets opened; one that does not open fails the load, naming it. */
  #opened(kind: KindName, e: StoredEntity): StoredEntity {
    const places = this.#secretPlaces(kind, e.data);
    if (places.length === 0) return e;
    try {
      return { ...e, data: openAt(this.#master, e.data, places, sealContext(kind, e.id)) };
    } catch (err) {
      if (!(err instanceof SecretOpenError)) throw err;
      throw new ConfigError([{ pointer: '', path: '', message: `plugin "${e.key}": ${describeSecretPointer(err.pointer)} cannot be opened: ${err.message}` }]);
    }
  }

  #sealed(kind: KindName, id: string, data: EntityData): EntityData {
    return sealAt(this.#master, data, this.#secretPlaces(kind, data), sealContext(kind, id));
  }

  /** REDACTED in a write keeps the secret `current` holds at that place; with none there it is refused. */
  #withKeptSecrets(kind: KindName, data: EntityData, current: EntityData | undefined): EntityData {
    const { value, unresolved } = resolveMarkers(data, this.#secretPlaces(kind, data), current);
    if (unresolved.length > 0) throw new WriteValidationError(unresolved.map(noSecretToKeep));
    return value;
  }

  async #insert(tx: StoreSession, kind: KindName, data: EntityData, position: number): Promise<StoredEntity> {
    // The id is chosen here so the secrets can be bound to it before the row exists.
    const id = kind === 'plugin' ? uuidv7() : undefined;
    return id === undefined ? tx.insert(kind, data, position) : tx.insert(kind, this.#sealed(kind, id, data), position, id);
  }

  async #update(tx: StoreSession, kind: KindName, id: string, data: EntityData, expectedVersion?: number, position?: number): Promise<StoredEntity> {
    return tx.update(kind, id, this.#sealed(kind, id, data), expectedVersion, position);
  }

  /**
   * Seals the secrets that stored rows still hold in clear: rows written before sealing existed,
   * or before their field became a secret (request-transformer's credentials). A node opens a
   * sealed value to the same plaintext, so this changes no config: nothing is audited. It runs
   * under the config write lock (nodes starting at once take turns; the later ones find nothing
   * left); the revision moves once when something was sealed. Returns the rows sealed.
   */
  async sealSecretsInClear(): Promise<number> {
    const pending = await this.#withSecretsInClear(this.store.read());
    if (pending.plugins.length === 0 && !pending.settings) return 0;
    // Found nothing after all (another node sealed them first): throwing rolls the transaction,
    // and with it the revision bump, back.
    const NOTHING = Symbol('nothing-in-clear');
    try {
      return await this.store.write(async (tx) => {
        const found = await this.#withSecretsInClear(tx);
        for (const { entity, sealed } of found.plugins) await tx.update('plugin', entity.id, sealed, entity.version);
        if (found.settings) await tx.putSettings('gateway', found.settings);
        const rows = found.plugins.length + (found.settings ? 1 : 0);
        if (rows === 0) throw NOTHING;
        return rows;
      }, { bump: true });
    } catch (err) {
      if (err === NOTHING) return 0;
      throw err;
    }
  }

  /** Plugin rows and gateway settings with a secret in clear, each with its sealed form. */
  async #withSecretsInClear(session: StoreSession): Promise<{ plugins: { entity: StoredEntity; sealed: EntityData }[]; settings: unknown }> {
    const plugins: { entity: StoredEntity; sealed: EntityData }[] = [];
    for (const entity of await session.all('plugin')) {
      const sealed = this.#sealed('plugin', entity.id, entity.data);
      // Sealing leaves sealed values as they are: a difference is a secret in clear.
      if (JSON.stringify(sealed) !== JSON.stringify(entity.data)) plugins.push({ entity, sealed });
    }
    const stored = await session.getSettings('gateway');
    const sealed = sealAt(this.#master, stored, settingsSecretPlaces(stored), SETTINGS_CONTEXT);
    return { plugins, settings: JSON.stringify(sealed) !== JSON.stringify(stored) ? sealed : undefined };
  }

  #auditJson(kind: KindName, data: EntityData | null): string | null {
    return data === null ? null : JSON.stringify(this.shown(kind, data));
  }

  async #sets(session: StoreSession): Promise<{ sets: EntitySets; stored: Record<KindName, StoredEntity[]> }> {
    const stored = Object.fromEntries(await Promise.all(KIND_NAMES.map(async (k) => [k, (await session.all(k)).map((e) => this.#opened(k, e))]))) as Record<KindName, StoredEntity[]>;
    const sets = emptySets();
    for (const k of KIND_NAMES) sets[k] = stored[k].map((e) => ({ key: e.key, position: e.position, data: e.data }));
    return { sets, stored };
  }

  /** The stored gateway settings, the Redis password opened; one that does not open fails the load. */
  async #settings(session: StoreSession): Promise<Partial<GatewaySettings> | undefined> {
    const stored = await session.getSettings('gateway') as Partial<GatewaySettings> | undefined;
    try {
      return openAt(this.#master, stored, settingsSecretPlaces(stored), SETTINGS_CONTEXT);
    } catch (err) {
      if (!(err instanceof SecretOpenError)) throw err;
      throw new ConfigError([{ pointer: '', path: '', message: `gateway.${describeSecretPointer(err.pointer)} cannot be opened: ${err.message}` }]);
    }
  }


  /** The store's current configuration, checked and compiled (what a gateway node serves). */
  async load(session: StoreSession = this.store.read()): Promise<LoadedConfig> {
    const revision = await session.revision();
    const { sets } = await this.#sets(session);
    const doc = assemble(sets, await this.#settings(session));
    const { config, snapshot } = checkDocument(doc, this.#catalog, await specsFor(session, doc));
    return { revision, config, snapshot };
  }

  /** The current state as a config document (what `config export` writes). */
  async export(): Promise<{ revision: number; document: Config }> {
    const { revision, config } = await this.load();
    return { revision, document: this.redactDocument(config) };
  }

  // --- entity CRUD ----------------------------------------------------------------------------

  /** Schema check with defaults; issues point into the body. */
  checkEntity(kind: KindName, input: unknown): EntityData {
    const result = validate<EntityData>(KINDS[kind].schema, input);
    if (!result.ok) throw new WriteValidationError(result.issues);
    if (kind === 'plugin' && typeof result.value.service === 'string' && typeof result.value.route === 'string') {
      throw new WriteValidationError([{ pointer: '/route', path: 'route', message: 'set either service or route, not both' }]);
    }
    return result.value;
  }

  async create(kind: KindName, input: unknown, actor: Actor): Promise<StoredEntity> {
    const data = this.#withKeptSecrets(kind, this.checkEntity(kind, input), undefined);
    return this.store.write(async (tx) => {
      const { sets } = await this.#sets(tx);
      const key = KINDS[kind].key(data);
      if (sets[kind].some((r) => r.key === key)) throw new DuplicateNameError(`${KINDS[kind].title.toLowerCase()} "${key}" already exists`);
      const position = await tx.nextPosition(kind);
      sets[kind].push({ key, position, data });
      await this.#check(tx, sets, { kind, key, data });
      const created = await this.#insert(tx, kind, data, position);
      await announceEntityChange(tx, kind, created.id, null, data);
      await tx.appendAudit({ actor: actor.name, action: 'create', entity: kind, entity_id: created.id, entity_key: key, before: null, after: this.#auditJson(kind, data), request_id: actor.requestId ?? null });
      return created;
    }, { bump: true });
  }

  async update(kind: KindName, id: string, input: unknown, expectedVersion: number | undefined, actor: Actor, merge = false): Promise<StoredEntity> {
    return this.store.write(async (tx) => {
      const found = await tx.get(kind, id);
      if (!found) throw new NotFoundError(`no ${KINDS[kind].title.toLowerCase()} with id ${id}`);
      if (expectedVersion !== undefined && found.version !== expectedVersion) throw new VersionMismatchError(found.version);
      const current = this.#opened(kind, found);
      const data = this.#withKeptSecrets(kind, this.checkEntity(kind, merge ? mergePatch(current.data, input) : input), current.data);
      const { sets, stored } = await this.#sets(tx);
      const key = KINDS[kind].key(data);
      if (key !== current.key && sets[kind].some((r) => r.key === key)) throw new DuplicateNameError(`${KINDS[kind].title.toLowerCase()} "${key}" already exists`);
      sets[kind] = sets[kind].map((r) => (r.key === current.key ? { key, position: r.position, data } : r));
      // A rename carries what the file nests inside the entity along (its plugins, subscriptions).
      const renames: { kind: KindName; entity: StoredEntity; data: EntityData }[] = [];
      const oldName = current.data.name;
      if (typeof oldName === 'string' && data.name !== oldName) {
        for (const owned of KINDS[kind].owns) {
          for (const e of stored[owned.kind].filter((x) => x.data[owned.column] === oldName)) renames.push({ kind: owned.kind, entity: e, data: { ...e.data, [owned.column]: data.name } });
          sets[owned.kind] = sets[owned.kind].map((r) => (r.data[owned.column] === oldName ? { ...r, data: { ...r.data, [owned.column]: data.name } } : r));
        }
      }
      await this.#check(tx, sets, { kind, key, data }, current.key !== key);
      const updated = await this.#update(tx, kind, id, data, current.version);
      await announceEntityChange(tx, kind, id, current.data, data);
      for (const r of renames) await this.#update(tx, r.kind, r.entity.id, r.data);
      if (kind === 'consumer' && typeof oldName === 'string' && data.name !== oldName) await tx.renameCredentialOwner(oldName, String(data.name));
      await tx.appendAudit({ actor: actor.name, action: 'update', entity: kind, entity_id: id, entity_key: key, before: this.#auditJson(kind, current.data), after: this.#auditJson(kind, data), request_id: actor.requestId ?? null });
      return updated;
    }, { bump: true });
  }

  async remove(kind: KindName, id: string, expectedVersion: number | undefined, actor: Actor): Promise<void> {
    await this.store.write(async (tx) => {
      const current = await tx.get(kind, id);
      if (!current) throw new NotFoundError(`no ${KINDS[kind].title.toLowerCase()} with id ${id}`);
      if (expectedVersion !== undefined && current.version !== expectedVersion) throw new VersionMismatchError(current.version);
      const { sets } = await this.#sets(tx);
      sets[kind] = sets[kind].filter((r) => r.key !== current.key);
      // What the file nests inside this entity goes with it (a service's plugins, a consumer's
      // subscriptions); anything else still pointing at it makes the delete fail.
      const name = String(current.data.name);
      for (const owned of KINDS[kind].owns) sets[owned.kind] = sets[owned.kind].filter((r) => r.data[owned.column] !== name);
      await this.#check(tx, sets, undefined, true);
      await tx.delete(kind, id, current.version);
      const cascaded: StoredEntity[] = [];
      for (const owned of KINDS[kind].owns) cascaded.push(...await tx.deleteWhere(owned.kind, owned.column, name));
      if (kind === 'consumer') await deleteCredentialsAudited(tx, name, actor);
      await tx.appendAudit({ actor: actor.name, action: 'delete', entity: kind, entity_id: id, entity_key: current.key, before: this.#auditJson(kind, current.data), after: null, request_id: actor.requestId ?? null });
      for (const c of cascaded) {
        const ownedKind = KINDS[kind].owns.find((o) => c.data[o.column] === name)!.kind;
        await tx.appendAudit({ actor: actor.name, action: 'delete', entity: ownedKind, entity_id: c.id, entity_key: c.key, before: this.#auditJson(ownedKind, c.data), after: null, request_id: actor.requestId ?? null });
      }
    }, { bump: true });
  }

  /**
   * Checks the whole document the write would produce. Problems inside the written entity are
   * reported with pointers into the request body; problems elsewhere (something refers to a
   * deleted or renamed entity) make it an InUseError naming them.
   */
  async #check(tx: StoreSession, sets: EntitySets, written: { kind: KindName; key: string; data: EntityData } | undefined, referencesMayBreak = false): Promise<void> {
    const raw = assemble(sets, await this.#settings(tx));
    try {
      // A plugin attached to a service or route that does not exist would vanish from the
      // document silently; catch it here.
      const orphans = sets.plugin.filter((p) => {
        const scope = pluginScope(p.data);
        return scope !== 'global' && !sets[scope].some((o) => o.data.name === p.data[scope]);
      });
      if (orphans.length > 0) {
        throw new ConfigError(orphans.map((p) => {
          const scope = pluginScope(p.data) as 'service' | 'route';
          const isWritten = written?.kind === 'plugin' && written.key === p.key;
          return { pointer: isWritten ? `/${scope}` : '', path: isWritten ? scope : '', message: isWritten ? `no ${scope} is named "${String(p.data[scope])}"` : `plugin "${p.key}" would be left without its ${scope}` };
        }));
      }
      checkDocument(raw, this.#catalog, await specsFor(tx, raw));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const prefix = written ? pointerOf(raw, written.kind, written.key, written.data) : undefined;
      const own: ConfigIssue[] = [];
      const others: ConfigIssue[] = [];
      for (const issue of err.issues) {
        if (written?.kind === 'plugin' && issue.pointer === `/${pluginScope(written.data)}`) {
          own.push(issue);
        } else if (prefix !== undefined && (issue.pointer === prefix || issue.pointer.startsWith(`${prefix}/`))) {
          const pointer = issue.pointer.slice(prefix.length);
          own.push({ ...issue, pointer, path: pointerToPath(pointer) });
        } else {
          others.push({ ...issue, pointer: '', path: '', message: `${describePointer(raw, issue.pointer)}: ${issue.message}` });
        }
      }
      if (own.length > 0 || !referencesMayBreak) throw new WriteValidationError([...own, ...others]);
      throw new InUseError(others);
    }
  }

  // --- declarative sync -----------------------------------------------------------------------

  /** What applying `raw` would change (sections absent from it are left alone). */
  async plan(raw: unknown): Promise<ApplyResult> {
    return this.apply(raw, { dryRun: true, actor: { name: 'plan' } });
  }

  /** Makes the store match the document, in one transaction (rolled back on a dry run). */
  async apply(raw: unknown, opts: { dryRun: boolean; actor: Actor; merge?: boolean }): Promise<ApplyResult> {
    // A document may leave sections out and refer to what the store has in them, so it gets
    // the schema check here and the full check (references, plugins, router) once merged below.
    // When the schema fails, the full check of the document alone lists every other problem too.
    const config = this.#schemaChecked(raw);
    const present = new Set(raw !== null && typeof raw === 'object' ? Object.keys(raw) : []);
    const desired = decompose(config);
    const DRY_RUN = Symbol('dry-run');
    let outcome: ApplyResult | undefined;
    try {
      await this.store.write(async (tx, revision) => {
        const { sets, stored } = await this.#sets(tx);
        const changes: PlannedChange[] = [];
        const next = emptySets();
        const wantedOf = emptySets();
        const governs = (kind: KindName) => (r: { data: EntityData }) => present.has(kind === 'plugin' ? sectionOfPlugin(r.data) : SECTION_OF_KIND[kind]);
        // A document exported from here shows secrets as REDACTED: each keeps the stored one; a
        // marker with nothing stored at its place is refused (all of them named at once).
        const storedSettings = await this.#settings(tx);
        const dangling: ConfigIssue[] = [];
        let gateway: GatewaySettings | undefined;
        if (present.has('gateway')) {
          const kept = resolveMarkers(config.gateway, settingsSecretPlaces(config.gateway), storedSettings);
          gateway = kept.value;
          for (const pointer of kept.unresolved) {
            dangling.push({ pointer: `/gateway${pointer}`, path: pointerToPath(`/gateway${pointer}`), message: `${JSON.stringify(REDACTED)} keeps the secret stored here, and there is none: write the secret itself` });
          }
        }
        desired.plugin = desired.plugin.map((r) => {
          const kept = resolveMarkers(r.data, this.#secretPlaces('plugin', r.data), stored.plugin.find((e) => e.key === r.key)?.data);
          for (const pointer of kept.unresolved) {
            dangling.push({ pointer: '', path: '', message: `plugin "${r.key}": ${describeSecretPointer(pointer)} is ${JSON.stringify(REDACTED)}, but the store holds no secret there to keep: write the secret itself` });
          }
          return { ...r, data: kept.value };
        });
        if (dangling.length > 0) throw new ConfigError(dangling);
        for (const kind of KIND_NAMES) {
          wantedOf[kind] = desired[kind].filter(governs(kind));
          // merge: the document adds and updates, and removes nothing (OpenAPI import).
          const kept = sets[kind].filter((r) => !governs(kind)(r) || (opts.merge === true && !wantedOf[kind].some((w) => w.key === r.key)));
          next[kind] = [...kept, ...wantedOf[kind]];
        }
        // The document's sections merged with the kept ones must hold together, before anything
        // is written (duplicates, references into the store, plugins, the router).
        const merged = assemble(next, gateway ?? storedSettings);
        checkDocument(merged, this.#catalog, await specsFor(tx, merged));
        for (const kind of KIND_NAMES) await this.#sync(tx, kind, stored[kind].filter(governs(kind)), wantedOf[kind], changes, opts);
        if (gateway !== undefined) {
          const before = validate<GatewaySettings>(GatewaySettingsSchema, storedSettings ?? {});
          const beforeValue = before.ok ? before.value : {};
          // Compared opened (the password changed only when its plaintext did), shown redacted.
          const fields = diffFields(beforeValue, gateway, '', { before: this.shownSettings(beforeValue), after: this.shownSettings(gateway) });
          if (fields.length > 0) {
            changes.push({ action: 'update', kind: 'settings', key: 'gateway', fields });
            await tx.putSettings('gateway', sealAt(this.#master, gateway, settingsSecretPlaces(gateway), SETTINGS_CONTEXT));
            await tx.appendAudit({ actor: opts.actor.name, action: 'update', entity: 'settings', entity_id: null, entity_key: 'gateway', before: JSON.stringify(this.shownSettings(beforeValue)), after: JSON.stringify(this.shownSettings(gateway)), request_id: opts.actor.requestId ?? null });
          }
        }
        outcome = { changes, revision, applied: !opts.dryRun && changes.length > 0 };
        // Nothing to change, or a dry run: roll back so the revision does not move.
        if (opts.dryRun || changes.length === 0) throw DRY_RUN;
      }, { bump: true });
    } catch (err) {
      if (err !== DRY_RUN) throw err;
      return { ...outcome!, revision: outcome!.revision - 1 };
    }
    return outcome!;
  }

  /** Schema check with defaults; on failure the full check of the document alone lists every problem. */
  #schemaChecked(raw: unknown): Config {
    const result = validate<Config>(ConfigSchema, raw);
    if (result.ok) return result.value;
    checkDocument(raw, this.#catalog); // throws ConfigError: schema problems and all later-stage ones
    throw new ConfigError(result.issues); // (not reached: kept so a schema failure can never pass)
  }

  async #sync(tx: StoreSession, kind: KindName, current: StoredEntity[], wanted: EntityRecord[], changes: PlannedChange[], opts: { dryRun: boolean; actor: Actor; merge?: boolean }): Promise<void> {
    if (opts.merge) {
      // Additions go after what exists; existing entities keep their place.
      const base = await tx.nextPosition(kind);
      const keys = new Set(wanted.map((w) => w.key));
      current = current.filter((e) => keys.has(e.key));
      wanted = wanted.map((w, i) => ({ ...w, position: current.find((e) => e.key === w.key)?.position ?? base + i }));
    }
    const byKey = new Map(current.map((e) => [e.key, e]));
    const wantedKeys = new Set(wanted.map((r) => r.key));
    const audit = (action: 'create' | 'update' | 'delete', id: string, key: string, before: EntityData | null, after: EntityData | null) => tx.appendAudit({
      actor: opts.actor.name, action, entity: kind, entity_id: id, entity_key: key,
      before: this.#auditJson(kind, before), after: this.#auditJson(kind, after), request_id: opts.actor.requestId ?? null,
    });
    // Relative order of the entities that stay: a change there is a move (route order matters).
    const currentOrder = [...current].sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : 1)).map((e) => e.key).filter((k) => wantedKeys.has(k));
    const wantedOrder = wanted.map((r) => r.key).filter((k) => byKey.has(k));
    const rankBefore = new Map(currentOrder.map((k, i) => [k, i]));
    const rankAfter = new Map(wantedOrder.map((k, i) => [k, i]));
    for (const e of current) {
      if (wantedKeys.has(e.key)) continue;
      changes.push({ action: 'delete', kind, key: e.key });
      await tx.delete(kind, e.id);
      if (kind === 'consumer') await deleteCredentialsAudited(tx, e.key, opts.actor);
      await audit('delete', e.id, e.key, e.data, null);
    }
    for (const [index, r] of wanted.entries()) {
      const position = opts.merge ? r.position : index;
      const existing = byKey.get(r.key);
      if (!existing) {
        changes.push({ action: 'create', kind, key: r.key });
        const created = await this.#insert(tx, kind, r.data, position);
        await announceEntityChange(tx, kind, created.id, null, r.data);
        await audit('create', created.id, r.key, null, r.data);
        continue;
      }
      // Compared opened (a secret changed only when its plaintext did), shown redacted.
      const fields = diffFields(existing.data, r.data, '', { before: this.shown(kind, existing.data), after: this.shown(kind, r.data) });
      const moved = !opts.merge && rankBefore.get(r.key) !== rankAfter.get(r.key);
      if (fields.length > 0 || moved) {
        changes.push({ action: 'update', kind, key: r.key, fields, ...(moved ? { moved } : {}) });
        await this.#update(tx, kind, existing.id, r.data, undefined, position);
        await announceEntityChange(tx, kind, existing.id, existing.data, r.data);
        await audit('update', existing.id, r.key, existing.data, r.data);
      } else if (existing.position !== position) {
        // Same order, different numbering (gaps left by deletes): renumber quietly.
        await this.#update(tx, kind, existing.id, existing.data, undefined, position);
      }
    }
  }
}

export class DuplicateNameError extends Error {}
export class VersionMismatchError extends Error {
  readonly current: number;
  constructor(current: number) {
    super(`the entity is at version ${current}`);
    this.current = current;
  }
}

/** A consumer's credentials go with it, each deletion in the audit log (never the secret). */
async function deleteCredentialsAudited(tx: StoreSession, consumer: string, actor: Actor): Promise<void> {
  let cursor: string | undefined;
  const rows = [];
  do {
    const page = await tx.listCredentials({ limit: 1000, consumer, ...(cursor ? { cursor } : {}) });
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  await tx.deleteCredentialsOf(consumer);
  for (const c of rows) {
    const { secret_hash: _s, lookup: _l, data, ...shown } = c;
    await tx.appendAudit({ actor: actor.name, action: 'delete', entity: 'credential', entity_id: c.id, entity_key: c.display, before: JSON.stringify({ ...shown, tags: (JSON.parse(data) as { tags?: string[] }).tags ?? [] }), after: null, request_id: actor.requestId ?? null });
  }
}

function sectionOfPlugin(data: EntityData): string {
  const scope = pluginScope(data);
  return scope === 'global' ? 'plugins' : scope === 'service' ? 'services' : 'routes';
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target as Record<string, unknown> } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Leaf-level differences between two JSON values, as dotted paths. `shown`: the same two values as
 * they may be reported (secrets redacted); the comparison is on `before` and `after`.
 */
export function diffFields(before: unknown, after: unknown, path = '', shown: { before: unknown; after: unknown } = { before, after }): { path: string; before: unknown; after: unknown }[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    const shownOf = (v: unknown, k: string) => (isObj(v) ? v[k] : undefined);
    return keys.flatMap((k) => diffFields(before[k], after[k], path ? `${path}.${k}` : k, { before: shownOf(shown.before, k), after: shownOf(shown.after, k) }));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before: shown.before, after: shown.after }];
}

/** What a sealed secret is bound to: its entity and (appended) its pointer in the entity. */
const sealContext = (kind: KindName, id: string) => `${kind}:${id}:`;

/** What a sealed secret of the stored gateway settings is bound to (plus its pointer in them). */
const SETTINGS_CONTEXT = 'settings:gateway:';

const noSecretToKeep = (pointer: string): ConfigIssue => ({
  pointer, path: pointerToPath(pointer), message: `${JSON.stringify(REDACTED)} keeps the secret stored here, and there is none: send the secret itself`,
});

/** Where an entity sits in an assembled document, as a JSON pointer. */
function pointerOf(raw: Record<string, unknown>, kind: KindName, key: string, data: EntityData): string | undefined {
  const list = (section: string) => (raw[section] as EntityData[] | undefined) ?? [];
  if (kind === 'plugin') {
    const scope = pluginScope(data);
    if (scope === 'global') return at('/plugins', list('plugins').findIndex((p) => p.name === data.name));
    const section = scope === 'service' ? 'services' : 'routes';
    const owner = list(section).findIndex((o) => o.name === data[scope]);
    if (owner < 0) return scope === 'service' ? '/service' : '/route';
    return at(`/${section}/${owner}/plugins`, ((list(section)[owner]!.plugins as EntityData[]) ?? []).findIndex((p) => p.name === data.name));
  }
  const section = SECTION_OF_KIND[kind];
  return at(`/${section}`, list(section).findIndex((e) => KINDS[kind].key(e) === key));
}

const at = (base: string, index: number) => (index < 0 ? undefined : `${base}/${index}`);

/** `/routes/3/service` → `route "orders" (service)`, for problems found outside the written entity. */
function describePointer(raw: Record<string, unknown>, pointer: string): string {
  const [, section, index, ...rest] = pointer.split('/');
  const entity = (raw[section ?? ''] as EntityData[] | undefined)?.[Number(index)];
  const kind = KIND_NAMES.find((k) => SECTION_OF_KIND[k] === section);
  if (!entity || !kind) return pointer || 'configuration';
  return `${KINDS[kind].title.toLowerCase()} "${KINDS[kind].key(entity)}"${rest.length ? ` (${rest.join('.')})` : ''}`;
}
