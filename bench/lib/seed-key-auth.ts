// Seeds the store of the portcullis-key-auth target (bench/targets/portcullis.sh, before it starts
// the gateway): API keys live only in the store, never in config files, so that target runs in
// store mode. Usage: node bench/lib/seed-key-auth.ts DB_URL CONFIG_YAML APIKEY_FILE
//   1. opens the store (migrations run on open),
//   2. applies CONFIG_YAML through the config service, as `portcullis config apply` or the demo
//      seed would (it must name the consumer the key belongs to: "bench"),
//   3. stores the API key of APIKEY_FILE (written by auth-fixture.ts) as a key-auth credential of
//      consumer "bench", hashed like the admin API does; a key already stored is left alone,
//   4. closes the store.
import { readFileSync } from 'node:fs';
import { ConfigService } from '../../src/admin/config-service.ts';
import { parseYaml } from '../../src/core/config/load.ts';
import { API_KEY_PREFIX, apiKeyLookup } from '../../src/core/identity/secrets.ts';
import { BUNDLED_CATALOG } from '../../src/plugins/index.ts';
import { uuidv7 } from '../../src/store/ids.ts';
import { openStore } from '../../src/store/open.ts';
import { ephemeralMasterKey } from '../../src/core/identity/sealed.ts';

const CONSUMER = 'bench';

const [dbUrl, configFile, keyFile] = process.argv.slice(2);
if (!dbUrl || !configFile || !keyFile) {
  console.error('usage: node bench/lib/seed-key-auth.ts DB_URL CONFIG_YAML APIKEY_FILE');
  process.exit(2);
}
const key = readFileSync(keyFile, 'utf8').trim();
if (key.length < 20) {
  console.error(`seed-key-auth: no API key in ${keyFile}`);
  process.exit(1);
}

const store = await openStore(dbUrl);
try {
  const service = new ConfigService(store, BUNDLED_CATALOG, ephemeralMasterKey());
  const result = await service.apply(parseYaml(readFileSync(configFile, 'utf8')), { dryRun: false, actor: { name: 'bench' } });
  const lookup = apiKeyLookup(key);
  const existing = await store.read().findCredential('key-auth', lookup);
  if (existing === undefined) {
    const display = key.startsWith(API_KEY_PREFIX) ? `${key.slice(0, API_KEY_PREFIX.length + 4)}…` : `${key.slice(0, 4)}…`;
    await store.write((tx) => tx.insertCredential({
      id: uuidv7(), consumer: CONSUMER, type: 'key-auth', lookup, secret_hash: null, display,
      data: JSON.stringify({ tags: [] }), expires_at: null, revoked_at: null,
    }), { bump: true });
  }
  console.log(`seed-key-auth: ${result.changes.length} config change(s) applied to ${store.location}; key-auth credential of "${CONSUMER}" ${existing === undefined ? 'stored' : 'already present'}`);
} finally {
  await store.close();
}
