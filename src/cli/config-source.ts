// Where a node's configuration comes from. File (DB-less, immutable deployments): the YAML file,
// reloaded on change. Store: the SQLite or Postgres store, reloaded when its revision moves; if the
// store is unreachable the node keeps serving, and a cold start uses the last-known-good snapshot
// written to disk after every successful load.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../core/config/errors.ts';
import type { CredentialRecord } from '../core/identity/directory.ts';
import { configVersion, type GatewayConfig } from '../core/snapshot/compile.ts';
import type { StoredSpecRecord } from '../core/snapshot/specs.ts';
import { specsFor } from '../admin/specs.ts';
import type { CredentialRow, SigningKeyRow } from '../store/schema.ts';
import type { MasterKey } from '../core/identity/sealed.ts';
import { describeSecretPointer, documentSecretPlaces, openAt, sealAt, SecretOpenError } from '../core/config/plugin-secrets.ts';
import type { RevokedTokenRecord } from '../core/identity/token-issuer.ts';
import { SigningKeys } from '../admin/signing-keys.ts';
import { checkDocument, loadConfigDocument } from '../core/snapshot/check.ts';
import { ConfigService } from '../admin/config-service.ts';
import { scrubAuditSecrets } from '../admin/audit-scrub.ts';
import { watchConfigFile } from '../gateway/config-watch.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import { SchemaTooNewError } from '../store/migrations/index.ts';
import { openStore, parseDbUrl, describeDb } from '../store/open.ts';
import { DeferredStore } from '../store/deferred.ts';
import type { StoreHealth } from '../store/ports.ts';
import type { Logger } from '../telemetry/logger.ts';
import { PlatformError } from './errors.ts';

export { PlatformError };

export interface LoadedSnapshot {
  readonly config: GatewayConfig;
  /** Content hash of the config. */
  readonly version: string;
  /** Store revision (store mode). */
  readonly revision?: number;
}

export interface ConfigSource {
  readonly kind: 'file' | 'store';
  load(): Promise<LoadedSnapshot>;
  /** Calls back when the config may have changed; returns the unsubscribe. */
  watch(onChange: () => void): () => void;
  storeHealth(): (StoreHealth & { location: string; serving: 'live' | 'last-known-good' }) | undefined;
  close(): Promise<void>;
}

export class FileSource implements ConfigSource {
  readonly kind = 'file';
  readonly file: string;
  constructor(file: string) { this.file = file; }

  async load(): Promise<LoadedSnapshot> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      throw new PlatformError(`cannot read config file ${this.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const { config, snapshot } = loadConfigDocument(text, BUNDLED_CATALOG);
    if (config.gateway.oauth2_server.enabled) throw new PlatformError('gateway.oauth2_server needs the store (its clients and signing keys live there): run with --db instead of --config');
    return { config, version: snapshot.version };
  }

  watch(onChange: () => void): () => void { return watchConfigFile(this.file, onChange); }
  storeHealth() { return undefined; }
  async close(): Promise<void> { /* nothing held */ }
}

/** Default place for the last-known-good snapshot: beside the SQLite file, else ./data. */
export function defaultStateDir(db: string): string {
  const loc = parseDbUrl(db);
  return loc.dialect === 'sqlite' && loc.target !== ':memory:' ? dirname(loc.target) : 'data';
}

export class StoreSource implements ConfigSource {
  readonly kind = 'store';
  readonly #db: string;
  readonly #lastGoodFile: string;
  readonly #logger: Logger;
  readonly store: DeferredStore;
  readonly service: ConfigService;
  #opening: Promise<boolean> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #onChange: (() => void) | undefined;
  #servingLastGood = false;
  #closed = false;
  readonly #onOpen: (() => Promise<void>)[] = [];
  readonly signingKeys: SigningKeys;
  readonly #masterKey: MasterKey;
  #keyProblem: string | undefined;
  #scrub: Promise<void> | undefined;

  constructor(db: string, stateDir: string, logger: Logger, masterKey: MasterKey) {
    this.#db = db;
    this.#lastGoodFile = join(stateDir, 'last-good-config.json');
    this.#logger = logger;
    const loc = parseDbUrl(db);
    this.store = new DeferredStore(describeDb(loc), loc.dialect);
    this.service = new ConfigService(this.store, BUNDLED_CATALOG, masterKey);
    this.#masterKey = masterKey;
    this.signingKeys = new SigningKeys(this.store, masterKey);
    this.store.feed.onChange(() => this.#onChange?.());
    this.store.feed.onHealth((health) => {
      if (health.up) logger.info({ db: this.location }, 'config store reachable again');
      else logger.warn({ db: this.location, error: health.error }, 'config store unreachable: serving the last snapshot; the admin API answers 503 until it is back');
    });
  }

  get location(): string { return this.store.location; }

  /** Runs once the store is open: now, or when it first becomes reachable. */
  whenOpen(fn: () => Promise<void>): void {
    if (this.store.ready) void fn();
    else this.#onOpen.push(fn);
  }

  /** Opens the store; false when it is unreachable (the caller may fall back to last-known-good). */
  async open(): Promise<boolean> {
    try {
      this.store.attach(await openStore(this.#db));
    } catch (err) {
      if (err instanceof SchemaTooNewError) throw new PlatformError(err.message);
      this.store.failed((err as Error).message);
      this.#logger.warn({ db: this.location, error: (err as Error).message }, 'config store unreachable');
      return false;
    }
    this.#scrub ??= Promise.all([this.#scrubAudit(), this.#sealSecretsInClear()]).then(() => undefined);
    for (const fn of this.#onOpen.splice(0)) await fn();
    return true;
  }

  /**
   * Secrets that stored plugin configs or gateway settings hold in clear (written before they were
   * sealed) are sealed now, in the background; a failure leaves them to the next start.
   */
  async #sealSecretsInClear(): Promise<void> {
    try {
      const rows = await this.service.sealSecretsInClear();
      if (rows > 0) this.#logger.info({ rows }, 'sealed secrets that stored configs held in clear');
    } catch (err) {
      if (!this.#closed) this.#logger.warn({ error: (err as Error).message }, 'could not seal the secrets that stored configs hold in clear; the next start tries again');
    }
  }

  /**
   * Once per store: secrets that the audit log holds in clear from before it redacted them are
   * redacted now. In the background (a large log takes a while, and the node serves meanwhile);
   * a failure or a shutdown leaves the rest to the next start.
   */
  async #scrubAudit(): Promise<void> {
    try {
      const outcome = await scrubAuditSecrets(this.store, BUNDLED_CATALOG, { stop: () => this.#closed });
      if (outcome.finished) this.#logger.info({ redacted: outcome.total }, 'audit log checked for secrets written in clear before they were redacted there: done');
    } catch (err) {
      if (!this.#closed) this.#logger.warn({ error: (err as Error).message }, 'could not finish redacting old secrets in the audit log; the next start goes on');
    }
  }

  /** Keeps trying to open the store in the background (after a degraded start). */
  retryOpen(): void {
    if (this.#closed || this.#retry || this.store.ready) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#opening = this.open().then((ok) => {
        this.#opening = undefined;
        if (ok) {
          this.#logger.info({ db: this.location }, 'config store reachable again');
          this.#onChange?.();
        } else this.retryOpen();
        return ok;
      }, (err: unknown) => {
        this.#opening = undefined;
        this.#logger.error({ db: this.location, error: (err as Error).message }, 'config store refused');
        return false;
      });
    }, 2000);
    this.#retry.unref();
  }

  async load(): Promise<LoadedSnapshot> {
    if (!this.store.ready) return this.#loadLastGood();
    const session = this.store.read();
    const { config, revision } = await this.service.load(session);
    const credentials = (await session.allCredentials()).map(toCredentialRecord);
    // The OAuth2 server's keys (sealed rows, kept as such in the last-known-good file) and revocations.
    const keyRows = config.gateway.oauth2_server.enabled ? await session.listSigningKeys() : [];
    const revoked = config.gateway.oauth2_server.enabled ? await session.listRevokedTokens() : [];
    const specs = await specsFor(session, config);
    const gatewayConfig: GatewayConfig = { ...config, credentials, ...this.#openKeys(keyRows, revoked), ...(specs.length > 0 ? { specs } : {}) };
    this.#servingLastGood = false;
    this.#saveLastGood(gatewayConfig, revision, { signing_keys: keyRows, revoked_tokens: revoked });
    return { config: gatewayConfig, version: configVersion(gatewayConfig), revision };
  }

  /** Signing keys opened with this node's master key; a key it cannot open is said once, loudly. */
  #openKeys(rows: readonly SigningKeyRow[], revoked: readonly RevokedTokenRecord[]): Pick<GatewayConfig, 'signing_keys' | 'revoked_tokens'> {
    if (rows.length === 0 && revoked.length === 0) return {};
    const material = this.signingKeys.open(rows, revoked);
    if (material.problem !== undefined && material.problem !== this.#keyProblem) {
      this.#logger.error({ problem: material.problem }, 'the OAuth2 server cannot sign tokens on this node; it still verifies them');
    }
    this.#keyProblem = material.problem;
    return { signing_keys: material.keys, revoked_tokens: material.revoked };
  }

  /** Cold start while the store is down: the snapshot saved by the last successful load. */
  #loadLastGood(): LoadedSnapshot {
    let saved: { revision: number; config: unknown; credentials?: CredentialRecord[]; signing_keys?: SigningKeyRow[]; revoked_tokens?: RevokedTokenRecord[]; specs?: StoredSpecRecord[] };
    try {
      saved = JSON.parse(readFileSync(this.#lastGoodFile, 'utf8')) as typeof saved;
    } catch {
      throw new PlatformError(`the config store (${this.location}) is unreachable (${this.store.feed.health().error ?? 'unknown error'}) and there is no last-known-good snapshot at ${this.#lastGoodFile}`);
    }
    try {
      const { config } = checkDocument(this.#openLastGood(saved.config), BUNDLED_CATALOG);
      const gatewayConfig: GatewayConfig = { ...config, credentials: saved.credentials ?? [], ...this.#openKeys(saved.signing_keys ?? [], saved.revoked_tokens ?? []), ...(saved.specs && saved.specs.length > 0 ? { specs: saved.specs } : {}) };
      this.#servingLastGood = true;
      return { config: gatewayConfig, version: configVersion(gatewayConfig), revision: saved.revision };
    } catch (err) {
      if (err instanceof ConfigError) throw new PlatformError(`the last-known-good snapshot at ${this.#lastGoodFile} is invalid: ${err.message}`);
      throw err;
    }
  }

  /** The saved document's secrets opened (they are sealed on disk, bound to their place in it). */
  #openLastGood(doc: unknown): unknown {
    try {
      return openAt(this.#masterKey, doc, documentSecretPlaces(BUNDLED_CATALOG, doc), LAST_GOOD_CONTEXT);
    } catch (err) {
      if (!(err instanceof SecretOpenError)) throw err;
      throw new PlatformError(`the last-known-good snapshot at ${this.#lastGoodFile}: ${describeSecretPointer(err.pointer)} cannot be opened: ${err.message}`);
    }
  }

  // Atomic: written beside, then renamed over, so a crash or a full disk never leaves half a file.
  // Secrets (plugin fields, the Redis password) are sealed in it, as in the store.
  // Signing keys are saved as the store keeps them, private halves sealed: never in clear on disk.
  #saveLastGood({ credentials, signing_keys: _opened, revoked_tokens: _revoked, specs, ...config }: GatewayConfig, revision: number, oauth: { signing_keys: readonly SigningKeyRow[]; revoked_tokens: readonly RevokedTokenRecord[] }): void {
    const tmp = `${this.#lastGoodFile}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.#lastGoodFile), { recursive: true });
      // Credential hashes too: with the store down, known keys keep working (RELIABILITY.md).
      // The stored specs the validator compiles from, so a cold start validates as before.
      const sealed = sealAt(this.#masterKey, config, documentSecretPlaces(BUNDLED_CATALOG, config), LAST_GOOD_CONTEXT);
      writeFileSync(tmp, JSON.stringify({ revision, saved_at: new Date().toISOString(), config: sealed, credentials, ...oauth, ...(specs ? { specs } : {}) }), { mode: 0o600 });
      renameSync(tmp, this.#lastGoodFile);
    } catch (err) {
      this.#logger.warn({ file: this.#lastGoodFile, error: (err as Error).message }, 'could not save the last-known-good snapshot');
    }
  }

  watch(onChange: () => void): () => void {
    this.#onChange = onChange;
    return () => { this.#onChange = undefined; };
  }

  storeHealth() {
    return { ...this.store.feed.health(), location: this.location, serving: this.#servingLastGood ? 'last-known-good' as const : 'live' as const };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#opening;
    await this.#scrub;
    await this.store.close();
  }
}

/** What the last-known-good file's sealed secrets are bound to (plus their pointer in the document). */
const LAST_GOOD_CONTEXT = 'last-good-config:';

function toCredentialRecord(r: CredentialRow): CredentialRecord {
  const record = { id: r.id, consumer: r.consumer, type: r.type, lookup: r.lookup, secret_hash: r.secret_hash, expires_at: r.expires_at, revoked_at: r.revoked_at };
  if (r.type !== 'oauth2') return record;
  const { scopes } = JSON.parse(r.data) as { scopes?: string[] };
  return scopes ? { ...record, scopes } : record;
}
