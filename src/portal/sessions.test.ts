// Session cookie flags and the same-site check of unsafe requests, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/ports.ts';
import { PortalSessions, cookieValue, sameSite } from './sessions.ts';
import { portalSettings } from './settings.ts';

const settings = (env: Record<string, string> = {}) => portalSettings({ PORTCULLIS_PORTAL_URL: 'https://dev.example.com', PORTCULLIS_PORTAL_SECURE_COOKIES: 'false', ...env });

test('the cookie is HttpOnly, SameSite=Lax, for /portal/api only; Secure over TLS or when the node says so', () => {
  const plain = new PortalSessions(undefined as unknown as Store, settings());
  assert.equal(plain.cookie('s3cr3t', false), 'portcullis_session=s3cr3t; Path=/portal/api; Max-Age=604800; HttpOnly; SameSite=Lax');
  assert.match(plain.cookie('s3cr3t', true), /; Secure$/, 'the request came over TLS');
  assert.match(plain.clearCookie(false), /^portcullis_session=; Path=\/portal\/api; Max-Age=0; HttpOnly; SameSite=Lax$/);
  const forced = new PortalSessions(undefined as unknown as Store, settings({ PORTCULLIS_PORTAL_SECURE_COOKIES: 'true' }));
  assert.match(forced.cookie('s3cr3t', false), /; Secure$/);
  assert.ok(portalSettings({ PORTCULLIS_PORTAL_URL: 'https://dev.example.com' }).secureCookies, 'an https portal URL means Secure by default');
});

test('cookieValue finds the session among other cookies', () => {
  assert.equal(cookieValue('a=1; portcullis_session=xyz; b=2', 'portcullis_session'), 'xyz');
  assert.equal(cookieValue('portcullis_sessionx=1', 'portcullis_session'), undefined);
  assert.equal(cookieValue(undefined, 'portcullis_session'), undefined);
});

test('same-site: Sec-Fetch-Site and Origin must say this site; no browser headers pass', () => {
  const req = (headers: Record<string, string>) => ({ headers: { host: '127.0.0.1:8081', ...headers }, protocol: 'http' }) as unknown as FastifyRequest;
  const url = 'https://dev.example.com';
  assert.equal(sameSite(req({}), url), true);
  assert.equal(sameSite(req({ origin: 'https://dev.example.com' }), url), true);
  assert.equal(sameSite(req({ origin: 'http://127.0.0.1:8081' }), url), true, 'the origin the request was sent to');
  assert.equal(sameSite(req({ origin: 'https://evil.example' }), url), false);
  assert.equal(sameSite(req({ origin: 'null' }), url), false);
  assert.equal(sameSite(req({ 'sec-fetch-site': 'cross-site', origin: 'https://dev.example.com' }), url), false);
  assert.equal(sameSite(req({ 'sec-fetch-site': 'same-site' }), url), false);
  assert.equal(sameSite(req({ 'sec-fetch-site': 'same-origin' }), url), true);
});
