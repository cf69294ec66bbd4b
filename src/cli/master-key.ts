// The node's master key, which seals secrets the store keeps encrypted (OAuth2 signing keys).
// From PORTCULLIS_SECRET_KEY (32 bytes as base64, base64url or hex) when set: every node of a
// cluster needs the same one. Otherwise a key file in the state directory, made on first start
// with mode 0600: right for one machine, and the default of `npm start`.
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MASTER_KEY_BYTES, masterKeyFingerprint, type MasterKey } from '../core/identity/sealed.ts';
import { PlatformError } from './errors.ts';

export const SECRET_KEY_ENV = 'PORTCULLIS_SECRET_KEY';
export const MASTER_KEY_FILE = 'secret.key';

export interface LoadedMasterKey extends MasterKey {
  /** Where it came from, for logs (never the key). */
  readonly source: string;
}

/** 32 bytes from hex (64 characters) or base64/base64url; undefined when it is neither. */
export function parseMasterKey(text: string): Uint8Array | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.byteLength === MASTER_KEY_BYTES ? bytes : undefined;
}

const describe = (key: Uint8Array, source: string): LoadedMasterKey => ({ key, fingerprint: masterKeyFingerprint(key), source });

export function loadMasterKey(stateDir: string, env: NodeJS.ProcessEnv = process.env): LoadedMasterKey {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = parseMasterKey(fromEnv);
    if (!key) throw new PlatformError(`${SECRET_KEY_ENV} must be ${MASTER_KEY_BYTES} random bytes as hex (64 characters) or base64; make one with: openssl rand -base64 32`);
    return describe(key, SECRET_KEY_ENV);
  }
  const file = join(stateDir, MASTER_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new PlatformError(`cannot read the master key file ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  if (text !== undefined) {
    const key = parseMasterKey(text);
    if (!key) throw new PlatformError(`the master key file ${file} is damaged (it must hold ${MASTER_KEY_BYTES} bytes as base64)`);
    return describe(key, file);
  }
  const key = randomBytes(MASTER_KEY_BYTES);
  // Written whole to a private temporary file, then linked into place: a process starting at the
  // same moment sees either no key file or a complete one (never an empty one being written), and
  // link fails with EEXIST rather than overwrite the key another process put there first.
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(temp, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(temp, 0o600);
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(stateDir, env);
    throw new PlatformError(`cannot write the master key file ${file}: ${(err as NodeJS.ErrnoException).code}`);
  } finally {
    rmSync(temp, { force: true });
  }
  return describe(key, file);
}
