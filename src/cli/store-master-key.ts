// The master key for a CLI command that reads and writes the config store directly (`config
// diff|apply|export`, the imports): the nodes' key, so that what it seals they can open and what
// they sealed it can compare. A missing key file is made (as a node's first start does) only while
// the store holds no sealed secret: otherwise those were sealed with a key this state
// directory lacks, and a new one would seal secrets the nodes cannot open.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigService } from '../admin/config-service.ts';
import { holdsSealed, instanceSecretPlaces, settingsSecretPlaces } from '../core/config/plugin-secrets.ts';
import { BUNDLED_CATALOG } from '../plugins/index.ts';
import type { Store } from '../store/ports.ts';
import { defaultStateDir } from './config-source.ts';
import { PlatformError } from './errors.ts';
import { loadMasterKey, MASTER_KEY_FILE, SECRET_KEY_ENV, type LoadedMasterKey } from './master-key.ts';

export interface StoreKeyOptions {
  readonly db: string;
  /** --state-dir, else PORTCULLIS_STATE_DIR, else the node's default for `db`. */
  readonly stateDir?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where to say that a new key file was made. */
  notice(line: string): void;
}

async function holdsSealedSecrets(store: Store): Promise<boolean> {
  const session = store.read();
  const settings = await session.getSettings('gateway');
  if (holdsSealed(settings, settingsSecretPlaces(settings))) return true;
  return (await session.all('plugin')).some((e) => holdsSealed(e.data, instanceSecretPlaces(BUNDLED_CATALOG, e.data)));
}

export async function storeMasterKey(store: Store, opts: StoreKeyOptions): Promise<LoadedMasterKey> {
  const stateDir = opts.stateDir ?? opts.env.PORTCULLIS_STATE_DIR ?? defaultStateDir(opts.db);
  const file = join(stateDir, MASTER_KEY_FILE);
  if ((opts.env[SECRET_KEY_ENV] ?? '') === '' && !existsSync(file)) {
    if (await holdsSealedSecrets(store)) {
      throw new PlatformError(`no master key: ${file} does not exist and ${SECRET_KEY_ENV} is not set, but the store holds secrets sealed with one; point --state-dir at the nodes' state directory or set ${SECRET_KEY_ENV} as they do`);
    }
    const key = loadMasterKey(stateDir, opts.env);
    opts.notice(`created a new master key in ${file}: the nodes must use this same key (the same --state-dir, or ${SECRET_KEY_ENV})`);
    return key;
  }
  return loadMasterKey(stateDir, opts.env);
}

/** The config service of `store`, sealing with the nodes' master key. */
export async function storeConfigService(store: Store, opts: StoreKeyOptions): Promise<ConfigService> {
  return new ConfigService(store, BUNDLED_CATALOG, await storeMasterKey(store, opts));
}
