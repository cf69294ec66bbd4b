// Portal branding through the real admin server: name and colours (with WCAG contrast warnings),
// logo upload (type checked against the bytes, size-limited, dangerous SVG refused, served with a
// script-forbidding CSP), custom Markdown pages rendered safely on the server (raw HTML escaped,
// only http(s)/relative links), the public portal endpoints, roles and the audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, withPortal, type Json, type PortalHarness, type Reply } from './helpers.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('0000000dIHDR-rest-of-a-tiny-png')]);
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** An admin API call with a token of the given role. */
async function as(h: PortalHarness, role: 'viewer' | 'editor', method: string, url: string, body?: unknown, extra: Record<string, string> = {}): Promise<Reply> {
  const name = `${role}-user`;
  if (!tokens.has(h)) tokens.set(h, new Map());
  const mine = tokens.get(h)!;
  if (!mine.has(role)) {
    assert.equal((await h.admin('POST', '/admin/users', { name, role })).status, 201);
    const t = await h.admin('POST', `/admin/users/${name}/tokens`, { name: 't' });
    assert.equal(t.status, 201, t.text);
    mine.set(role, String(t.body.token));
  }
  const res = await h.app.inject({
    method: method as 'GET', url, headers: { authorization: `Bearer ${mine.get(role)}`, ...extra, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  let parsed: Json = {};
  try { parsed = JSON.parse(res.body) as Json; } catch { /* not JSON */ }
  return { status: res.statusCode, headers: res.headers, text: res.body, body: parsed, method, url };
}
const tokens = new WeakMap<PortalHarness, Map<string, string>>();

test('branding: defaults, then name and colours set by an editor; contrast warnings; viewers read only; audited', async () => {
  await withPortal(async (h) => {
    const initial = await h.admin('GET', '/admin/portal/branding');
    assert.equal(initial.status, 200, initial.text);
    assert.deepEqual([initial.body.name, initial.body.primary_color, initial.body.version, initial.body.logo, initial.body.warnings], ['Developer portal', '#1f4b99', 0, null, []]);

    assertProblem(await as(h, 'viewer', 'PUT', '/admin/portal/branding', { name: 'X', primary_color: '#000000', accent_color: '#000000' }), 403, 'forbidden');
    const set = await as(h, 'editor', 'PUT', '/admin/portal/branding', { name: '  Acme Developers ', primary_color: '#0B5FFF', accent_color: '#C2410C' });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual([set.body.name, set.body.primary_color, set.body.accent_color, set.body.primary_text_color, set.body.version], ['Acme Developers', '#0b5fff', '#c2410c', '#ffffff', 1]);
    assert.deepEqual(set.body.warnings, [], 'both colours pass AA');
    const read = await as(h, 'viewer', 'GET', '/admin/portal/branding');
    assert.equal(read.body.name, 'Acme Developers');
    assert.equal(read.headers.etag, '"v1"');
    // If-Match: a change based on an older read answers 412.
    assertProblem(await as(h, 'editor', 'PUT', '/admin/portal/branding', { name: 'Stale', primary_color: '#000000', accent_color: '#000000' }, { 'if-match': '"v0"' }), 412, 'precondition-failed');
    assertProblem(await as(h, 'editor', 'DELETE', '/admin/portal/branding/logo', undefined, { 'if-match': '"v0"' }), 412, 'precondition-failed');

    // A pale yellow primary fails as link text on the page (but its labels turn dark, which pass).
    const pale = await as(h, 'editor', 'PUT', '/admin/portal/branding', { name: 'Acme', primary_color: '#ffd84d', accent_color: '#f0f0f0' });
    assert.equal(pale.status, 200);
    assert.equal(pale.body.primary_text_color, '#1a1d23');
    const warnings = pale.body.warnings as { field: string; ratio: number }[];
    assert.deepEqual(warnings.map((w) => w.field), ['primary_color', 'accent_color']);
    assert.ok(warnings.every((w) => w.ratio < 4.5), JSON.stringify(warnings));

    for (const bad of [
      { name: '', primary_color: '#000000', accent_color: '#000000' },
      { name: 'x', primary_color: 'red', accent_color: '#000000' },
      { name: 'x', primary_color: '#000000', accent_color: '#00000g' },
      { name: 'x'.repeat(81), primary_color: '#000000', accent_color: '#000000' },
      { name: 'x', primary_color: '#000000', accent_color: '#000000', css: 'body{}' },
    ]) assertProblem(await as(h, 'editor', 'PUT', '/admin/portal/branding', bad), 400, 'validation-failed');

    const audit = await h.admin('GET', '/admin/audit?entity=portal_branding');
    const entries = audit.body.data as Json[];
    assert.equal(entries.length, 2);
    assert.equal(entries[0]!.actor, 'editor-user');
    assert.equal((entries[0]!.after as Json).primary_color, '#ffd84d');
  });
});

test('logo: PNG and SVG accepted and served with their type, nosniff and a script-forbidding CSP; wrong types, oversize and script-bearing SVGs refused', async () => {
  await withPortal(async (h) => {
    const anon = h.client();
    assertProblem(await anon.get('/portal/api/branding/logo'), 404, 'not-found');
    assert.equal((await anon.get('/portal/api/branding')).body.logo_url, null);

    const png = await as(h, 'editor', 'PUT', '/admin/portal/branding/logo', { content_type: 'image/png', data: b64(PNG) });
    assert.equal(png.status, 200, png.text);
    const logo = png.body.logo as Json;
    assert.equal(logo.content_type, 'image/png');
    const pub = await anon.get('/portal/api/branding');
    assert.equal(pub.body.logo_url, logo.url);
    const served = await h.app.inject({ method: 'GET', url: String(logo.url) });
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.match(String(served.headers['content-security-policy']), /default-src 'none'.*sandbox/);
    assert.deepEqual(served.rawPayload, PNG);
    const again = await h.app.inject({ method: 'GET', url: String(logo.url), headers: { 'if-none-match': String(served.headers.etag) } });
    assert.equal(again.statusCode, 304);

    const svg = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect width="10" height="10" fill="url(#g)"/><use href="#g"/></svg>';
    const okSvg = await as(h, 'editor', 'PUT', '/admin/portal/branding/logo', { content_type: 'image/svg+xml', data: b64(svg) });
    assert.equal(okSvg.status, 200, okSvg.text);
    const servedSvg = await h.app.inject({ method: 'GET', url: String((okSvg.body.logo as Json).url) });
    assert.match(String(servedSvg.headers['content-type']), /^image\/svg\+xml/);
    assert.match(String(servedSvg.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(servedSvg.body, svg);

    const refused = async (content_type: string, data: string, why: RegExp) => {
      const r = await as(h, 'editor', 'PUT', '/admin/portal/branding/logo', { content_type, data });
      const p = assertProblem(r, 400, 'validation-failed');
      assert.match(String(p.detail) + JSON.stringify(p.errors), why, `${content_type}: ${r.text}`);
    };
    await refused('image/png', b64('GIF89a not a png'), /not a PNG/);
    await refused('image/jpeg', b64(PNG), /not a JPEG/);
    await refused('image/gif', b64('GIF89a'), /content_type|must/);
    await refused('image/png', 'not base64!!', /base64/);
    await refused('image/png', b64(Buffer.concat([PNG, Buffer.alloc(256 * 1024)])), /256 KiB|at most/);
    const svgOf = (inner: string, attrs = '') => b64(`<svg xmlns="http://www.w3.org/2000/svg"${attrs}>${inner}</svg>`);
    await refused('image/svg+xml', svgOf('<script>alert(1)</script>'), /script/);
    await refused('image/svg+xml', svgOf('<rect/>', ' onload="alert(1)"'), /event-handler/);
    await refused('image/svg+xml', svgOf('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'), /foreignObject/);
    await refused('image/svg+xml', svgOf('<a href="javascript:alert(1)"><rect/></a>'), /another document|javascript/);
    await refused('image/svg+xml', svgOf('<image href="https://evil.example/x.png"/>'), /another document/);
    await refused('image/svg+xml', svgOf('<rect style="fill:url(https://evil.example/x)"/>'), /another resource/);
    await refused('image/svg+xml', b64('<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'), /entities|well-formed/);
    await refused('image/svg+xml', b64('<html><script>alert(1)</script></html>'), /not an SVG|script/);
    await refused('image/svg+xml', b64('<svg><rect></svg>'), /well-formed/);
    // The last good logo stays.
    assert.equal((await anon.get('/portal/api/branding')).body.logo_url, (okSvg.body.logo as Json).url);

    assertProblem(await as(h, 'viewer', 'PUT', '/admin/portal/branding/logo', { content_type: 'image/png', data: b64(PNG) }), 403, 'forbidden');
    assert.equal((await as(h, 'editor', 'DELETE', '/admin/portal/branding/logo')).status, 204);
    assertProblem(await anon.get('/portal/api/branding/logo'), 404, 'not-found');
    const audit = (await h.admin('GET', '/admin/audit?entity=portal_branding')).body.data as Json[];
    assert.equal(audit.length, 3, 'png, svg, removal');
    assert.ok(!JSON.stringify(audit).includes(b64(PNG)), 'the audit log keeps the hash, not the bytes');
  });
});

test('pages: CRUD by editors, unique slugs, drafts hidden from the portal, navigation order, audited', async () => {
  await withPortal(async (h) => {
    const anon = h.client();
    assertProblem(await as(h, 'viewer', 'POST', '/admin/portal/pages', { slug: 'terms', title: 'Terms', body: '' }), 403, 'forbidden');
    const terms = await as(h, 'editor', 'POST', '/admin/portal/pages', { slug: 'terms', title: 'Terms of use', body: '# Terms\n\nBe **nice**.', published: true, nav_order: 2 });
    assert.equal(terms.status, 201, terms.text);
    const faq = await as(h, 'editor', 'POST', '/admin/portal/pages', { slug: 'faq', title: 'FAQ', body: 'Q?', published: true, nav_order: 1 });
    assert.equal(faq.status, 201);
    const draft = await as(h, 'editor', 'POST', '/admin/portal/pages', { slug: 'draft', title: 'Soon', body: 'secret' });
    assert.equal(draft.body.published, false, 'drafts by default');
    assertProblem(await as(h, 'editor', 'POST', '/admin/portal/pages', { slug: 'faq', title: 'Again', body: '' }), 409, 'conflict');
    for (const bad of [{ slug: 'Bad Slug', title: 't', body: '' }, { slug: '-x', title: 't', body: '' }, { slug: 'x', title: ' ', body: '' }, { slug: 'x', title: 't', body: 'x'.repeat(100_001) }, { slug: 'x', title: 't', body: '', nav_order: -1 }]) {
      assertProblem(await as(h, 'editor', 'POST', '/admin/portal/pages', bad), 400, 'validation-failed');
    }

    assert.deepEqual(((await as(h, 'viewer', 'GET', '/admin/portal/pages')).body.data as Json[]).map((p) => p.slug), ['draft', 'faq', 'terms']);
    assert.deepEqual((await anon.get('/portal/api/branding')).body.pages, [{ slug: 'faq', title: 'FAQ' }, { slug: 'terms', title: 'Terms of use' }]);
    const page = await anon.get('/portal/api/pages/terms');
    assert.equal(page.status, 200, page.text);
    assert.deepEqual([page.body.title, page.body.html], ['Terms of use', '<h1>Terms</h1>\n<p>Be <strong>nice</strong>.</p>\n']);
    assertProblem(await anon.get('/portal/api/pages/draft'), 404, 'not-found');
    assertProblem(await anon.get('/portal/api/pages/nothing'), 404, 'not-found');

    const published = await as(h, 'editor', 'PUT', `/admin/portal/pages/${String(draft.body.id)}`, { slug: 'launch', title: 'Launch', body: 'now', published: true, nav_order: 0 });
    assert.equal(published.status, 200, published.text);
    assert.equal(published.body.version, 2);
    assert.equal((await anon.get('/portal/api/pages/launch')).body.html, '<p>now</p>\n');
    assertProblem(await as(h, 'editor', 'PUT', '/admin/portal/pages/launch', { slug: 'faq', title: 'x', body: '' }), 409, 'conflict');
    // If-Match: an edit based on an older read answers 412 and changes nothing.
    const read = await as(h, 'viewer', 'GET', '/admin/portal/pages/launch');
    assert.equal(read.headers.etag, '"v2"');
    assertProblem(await as(h, 'editor', 'PUT', '/admin/portal/pages/launch', { slug: 'launch', title: 'Stale', body: '' }, { 'if-match': '"v1"' }), 412, 'precondition-failed');
    assertProblem(await as(h, 'editor', 'DELETE', '/admin/portal/pages/launch', undefined, { 'if-match': '"v1"' }), 412, 'precondition-failed');
    assert.equal((await as(h, 'editor', 'PUT', '/admin/portal/pages/launch', { slug: 'launch', title: 'Launch', body: 'now', published: true }, { 'if-match': '"v2"' })).status, 200);
    assert.equal((await as(h, 'viewer', 'GET', '/admin/portal/pages/launch')).body.id, draft.body.id, 'found by slug too');
    assert.equal((await as(h, 'editor', 'DELETE', '/admin/portal/pages/faq')).status, 204);
    assertProblem(await as(h, 'editor', 'DELETE', '/admin/portal/pages/faq'), 404, 'not-found');
    assertProblem(await anon.get('/portal/api/pages/faq'), 404, 'not-found');

    const audit = (await h.admin('GET', '/admin/audit?entity=portal_page')).body.data as Json[];
    assert.deepEqual(audit.map((e) => [e.action, e.entity_key]).toReversed(), [['create', 'terms'], ['create', 'faq'], ['create', 'draft'], ['update', 'launch'], ['update', 'launch'], ['delete', 'faq']]);
  });
});

test('pages: Markdown XSS attempts render as inert text; only http(s) and relative links survive', async () => {
  await withPortal(async (h) => {
    const attempts = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<a href="javascript:alert(1)">raw</a>',
      '[js](javascript:alert(1))',
      '[tab](java\tscript:alert(1))',
      '[entity](jav&#x61;script:alert(1))',
      '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
      '[vb](vbscript:msgbox(1))',
      '![img](javascript:alert(1))',
      '[ref][r]\n\n[r]: javascript:alert(1)',
      '<iframe src="https://evil.example"></iframe>',
      '[q](https://ok.example "x\\" onmouseover=\\"alert(1)")',
      '<svg onload=alert(1)>',
    ].join('\n\n');
    const body = `${attempts}\n\n[docs](/catalog) [site](https://example.com/a?b=1&c=2) [anchor](#top) ![logo](/portal/api/branding/logo)`;
    const created = await as(h, 'editor', 'POST', '/admin/portal/pages', { slug: 'xss', title: '<b>T</b>', body, published: true });
    assert.equal(created.status, 201, created.text);
    const html = String((await h.client().get('/portal/api/pages/xss')).body.html);
    const preview = await as(h, 'viewer', 'POST', '/admin/portal/pages/preview', { body });
    assert.equal(preview.body.html, html, 'the preview is what the portal serves');

    // No live tag other than the safe set, no event handler attribute, no dangerous URL scheme.
    const tags = [...html.matchAll(/<([a-z][a-z0-9]*)\b/gi)].map((m) => m[1]!.toLowerCase());
    assert.deepEqual([...new Set(tags)].sort(), ['a', 'img', 'p'], html);
    // Every attribute of every tag is one the renderer writes itself (no on… handler, no style).
    for (const tag of html.matchAll(/<[a-z][a-z0-9]*((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*\/?>/gi)) {
      for (const attr of tag[1]!.matchAll(/\s+([a-z-]+)(?:="[^"]*")?/gi)) assert.ok(['href', 'title', 'rel', 'src', 'alt', 'loading'].includes(attr[1]!.toLowerCase()), `attribute ${attr[1]} in ${tag[0]}`);
    }
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) assert.match(m[1]!, /^(https?:\/\/|\/|#|[a-z0-9&;#.-]*$)/i, `url ${m[1]}`);
    assert.doesNotMatch(html, /href="\s*(javascript|data|vbscript):/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'raw HTML shows as text');
    assert.match(html, /<a href="\/catalog">docs<\/a>/);
    assert.match(html, /<a href="https:\/\/example.com\/a\?b=1&amp;c=2" rel="noopener noreferrer nofollow">site<\/a>/);
    assert.match(html, /<a href="#top">anchor<\/a>/);
    assert.match(html, /<img src="\/portal\/api\/branding\/logo" alt="logo" loading="lazy">/);
    assert.match(html, /title="x&quot; onmouseover=&quot;alert\(1\)"/, 'a title cannot break out of its attribute');
    assert.equal((await h.client().get('/portal/api/pages/xss')).body.title, '<b>T</b>', 'the title is data (the portal renders it as text)');
  });
});
