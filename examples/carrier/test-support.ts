// Helpers for carrier.test.ts: a small HTTP client for the server under test and the slices of
// the response types the assertions read. Not a test file itself (no .test.ts suffix).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FieldError, ProblemDefinition } from './problem.ts';
import type { Label } from './shipments.ts';

export interface Problem extends Omit<ProblemDefinition, 'detail'> {
  type: string;
  detail: string;
  instance: string;
  errors?: FieldError[];
}

// Just the parts of the OpenAPI document the tests read.
export interface MediaType { examples?: Record<string, { value: unknown }> }
export interface Operation {
  operationId?: string;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
export interface OpenApiDoc {
  openapi: string;
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { examples: Record<string, { value: Label }> };
}

/** The value, asserted present: keeps noUncheckedIndexedAccess lookups readable. */
export function must<T>(value: T | undefined | null, what: string): T {
  assert.ok(value !== undefined && value !== null, `missing ${what}`);
  return value;
}

/** The `examples.<name>.value` of a request body or response media type. */
export function example(media: { content?: Record<string, MediaType> } | undefined, name: string): unknown {
  return must(media?.content?.['application/json']?.examples?.[name], `example ${name}`).value;
}

export function assertProblem(r: { res: Response; json: Problem }, status: number, code: string): void {
  assert.equal(r.res.status, status);
  assert.equal(r.res.headers.get('content-type'), 'application/problem+json');
  assert.equal(r.json.type, `https://carrier.example/problems/${code}`);
  assert.equal(r.json.status, status);
  assert.equal(typeof r.json.title, 'string');
  assert.equal(typeof r.json.detail, 'string');
}

/** Starts `server` on an ephemeral loopback port and returns its base URL. */
export async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export class CarrierClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  /** `json` is the parsed body typed as the caller expects (undefined when there is none). */
  async call<T = Problem>(method: string, path: string, body?: unknown): Promise<{ res: Response; json: T }> {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    const res = await fetch(this.base + path, init);
    const text = await res.text();
    const json = text === '' || !res.headers.get('content-type')?.includes('json') ? undefined : (JSON.parse(text) as unknown);
    return { res, json: json as T };
  }

  /** Raw node:http, for bodies fetch will not send as-is (chunked streams, declared lengths). */
  rawPost(path: string, chunks: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; body: Problem; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = http.request(this.base + path, { method: 'POST', headers, agent: false }, (res) => {
        answered = true;
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as Problem, headers: res.headers }));
      });
      // The server may close while we are still uploading an oversized body; the response is what counts.
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
      req.on('close', () => answered || reject(new Error('connection closed without a response')));
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }
}
