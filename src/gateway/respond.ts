// Answers the gateway writes itself: problem+json errors and plugin responses.
import type { ServerResponse } from 'node:http';
import { ERRORS, type ErrorCode } from '../core/errors/registry.ts';
import { PROBLEM_CONTENT_TYPE, problemJson } from '../core/errors/problem.ts';
import { isProblemResponse, type PluginResponse } from '../core/pipeline/context.ts';
import { VIA } from './headers.ts';
import { FastResponse } from './http1/response.ts';

export interface ReplyOptions {
  requestId: string;
  /** The normalised request path (never the query: it may hold credentials). */
  instance: string | undefined;
  /** Close the connection after this answer (framing errors, unread request bodies). */
  close?: boolean;
  /** Headers every answer of this request carries (e.g. a deprecated API version's lifecycle headers). */
  headers?: Readonly<Record<string, string>>;
}

/** A request target's path without its query (which may hold credentials), capped: for `instance`. */
export function rawPathOf(url: string | undefined): string {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return (q === -1 ? target : target.slice(0, q)).slice(0, 1024);
}

/** Sends a problem document; returns the body size. */
export function sendProblem(res: ServerResponse, code: ErrorCode, opts: ReplyOptions, detail?: string, extraHeaders?: Record<string, string>, extensions?: Readonly<Record<string, unknown>>): number {
  const body = problemJson(code, { detail, instance: opts.instance, requestId: opts.requestId, ...(extensions ? { extensions } : {}) });
  return sendErrorBody(res, ERRORS[code].status, PROBLEM_CONTENT_TYPE, body, opts, extraHeaders);
}

/**
 * Writes one of the gateway's own error answers (a problem document, a SOAP fault): never cached,
 * with the request id, Via and the request's own headers; returns the body size.
 */
export function sendErrorBody(res: ServerResponse, status: number, contentType: string, body: string, opts: ReplyOptions, extraHeaders?: Record<string, string>): number {
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': opts.requestId,
    via: VIA,
    ...opts.headers,
    ...extraHeaders,
  };
  if (opts.close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
  return headers['content-length'] as number;
}

/** Sends a plugin's response; returns the body size. */
export function sendPluginResponse(res: ServerResponse, r: PluginResponse, opts: ReplyOptions): number {
  if (isProblemResponse(r)) return sendProblem(res, r.problem, opts, r.detail, r.headers, r.extensions);
  let body: string | Uint8Array;
  let contentType: string | undefined;
  if (r.body === undefined) body = '';
  else if (typeof r.body === 'string' || r.body instanceof Uint8Array) body = r.body;
  else {
    body = JSON.stringify(r.body);
    contentType = 'application/json';
  }
  // 204 and 304 have no body, and a 204 must not carry Content-Length (RFC 9110 §8.6).
  const bodiless = r.status === 204 || r.status === 304;
  const length = bodiless ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const stored = r.storedHeaders;
  if (stored !== undefined && contentType === undefined && res instanceof FastResponse && !sharesAName(stored, opts.headers, r.headers)) {
    // The fast lane keeps the stored fields' checked, serialised form: only this answer's own fields are written out.
    const own: string[] = ['x-request-id', opts.requestId];
    if (stored.via === undefined) own.push('via', VIA);
    pushFields(own, opts.headers);
    pushFields(own, r.headers);
    if (!bodiless) own.push('content-length', String(length));
    if (opts.close) own.push('connection', 'close');
    res.writeHeadWithStored(r.status, stored, own);
  } else {
    const headers: Record<string, string | number> = { 'x-request-id': opts.requestId, via: VIA };
    if (contentType !== undefined) headers['content-type'] = contentType;
    Object.assign(headers, opts.headers, stored, r.headers);
    if (bodiless) delete headers['content-length'];
    else headers['content-length'] = length;
    if (opts.close) headers.connection = 'close';
    res.writeHead(r.status, headers);
  }
  res.end(bodiless ? undefined : body);
  return length;
}

/**
 * Whether a field of this answer (or the gateway's answer fields) is also among the stored ones, or
 * is one the gateway sets itself: then the fields are merged as one map (the later one wins).
 */
function sharesAName(stored: Readonly<Record<string, string>>, ...maps: (Readonly<Record<string, string>> | undefined)[]): boolean {
  for (const map of maps) {
    if (map === undefined) continue;
    for (const name in map) if (Object.hasOwn(stored, name) || name === 'via' || name === 'x-request-id') return true;
  }
  return false;
}

function pushFields(list: string[], map: Readonly<Record<string, string>> | undefined): void {
  if (map === undefined) return;
  for (const name in map) {
    if (name === 'content-length') continue;
    list.push(name, map[name]!);
  }
}
