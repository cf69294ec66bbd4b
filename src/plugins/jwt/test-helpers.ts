// Keys, tokens and a JWKS server for the jwt plugin's tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { compileIdentities } from '../../core/identity/directory.ts';
import type { HeaderMap, RequestContext } from '../../core/pipeline/context.ts';
import { compileConf, fakeContext } from '../test-helpers.ts';
import { jwt, type CompiledJwt } from './plugin.ts';

export const ISS = 'https://idp.example.com/';
export const AUD = 'orders-api';

export const identities = compileIdentities(
  [
    { name: 'acme', custom_id: 'crm-42', groups: ['partners'] },
    { name: 'guest', groups: [] },
  ],
  [],
);

export interface TestKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  /** The public JWK, with `kid` when one was given. */
  readonly jwk: JWK;
}

export async function keyPair(alg: string, kid?: string, opts: { modulusLength?: number } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...opts });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk: kid === undefined ? jwk : { ...jwk, kid } };
}

/** A signed token; `iss`, `sub` and a one-hour `exp` unless overridden (undefined removes a claim). */
export async function sign(key: CryptoKey | Uint8Array, alg: string, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = { iss: ISS, sub: 'acme', aud: AUD, iat: now, exp: now + 3600, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(key);
}

export const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export interface LoggedCall { level: string; obj: object; msg?: string }

export async function run(conf: CompiledJwt, over: { headers?: HeaderMap; query?: string } = {}, prepare?: (ctx: RequestContext) => void) {
  const ctx = fakeContext({ identities, ...over });
  const logged: LoggedCall[] = [];
  const record = (level: string) => (obj: object, msg?: string) => { logged.push({ level, obj, ...(msg !== undefined ? { msg } : {}) }); };
  (ctx as { log: RequestContext['log'] }).log = { info: record('info'), warn: record('warn'), error: record('error'), debug: record('debug') };
  prepare?.(ctx);
  const result = await jwt.handlers.access!(ctx, conf);
  return { result, ctx, up: ctx.upstream, logged };
}

export const compile = (raw: unknown): CompiledJwt => compileConf(jwt, raw);

export const bearer = (token: string): HeaderMap => ({ authorization: `Bearer ${token}` });

/** A JWKS server that counts its fetches; tests change what it serves as they go. */
export interface JwksServer {
  readonly url: string;
  fetches: number;
  jwks: unknown;
  /** A raw body (instead of the JSON of `jwks`). */
  body: string | Buffer | undefined;
  status: number;
  headers: Record<string, string>;
  delayMs: number;
  close(): Promise<void>;
}

export async function startJwksServer(jwks: unknown): Promise<JwksServer> {
  const state = { fetches: 0, jwks, body: undefined as string | Buffer | undefined, status: 200, headers: {} as Record<string, string>, delayMs: 0 };
  const server: Server = createServer((req, res) => {
    state.fetches++;
    const answer = () => {
      const body = state.body ?? JSON.stringify(state.jwks);
      res.writeHead(state.status, { 'content-type': 'application/json', ...state.headers });
      res.end(body);
    };
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return Object.assign(state, {
    url,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
