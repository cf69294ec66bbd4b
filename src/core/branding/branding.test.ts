// The pure parts of portal branding: WCAG contrast arithmetic and warnings, the URL filter of the
// Markdown renderer, and the logo checks (signatures, size, SVG screening).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrastRatio, contrastWarnings, textOn } from './contrast.ts';
import { checkLogo, LOGO_MAX_BYTES } from './logo.ts';
import { renderMarkdown, safeUrl } from './markdown.ts';

test('contrast: WCAG ratios (black on white 21:1, equal colours 1:1, the default primary passes AA)', () => {
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#777777', '#777777'), 1);
  assert.ok(Math.abs(contrastRatio('#767676', '#ffffff') - 4.54) < 0.01, 'the classic AA grey');
  assert.deepEqual(contrastWarnings('#1f4b99', '#2563eb'), []);
  assert.equal(textOn('#ffd84d'), '#1a1d23');
  assert.equal(textOn('#1f4b99'), '#ffffff');
  assert.deepEqual(contrastWarnings('#ffd84d', '#eeeeee').map((w) => w.field), ['primary_color', 'accent_color']);
  // A mid grey fails as link text on the page and its labels fail whichever text colour is chosen.
  assert.deepEqual(contrastWarnings('#777777', '#1f4b99').map((w) => w.field), ['primary_color', 'primary_color']);
});

test('safeUrl: http(s) and relative only, after decoding references and dropping ignored characters', () => {
  for (const ok of ['https://example.com/x', 'http://a.b', '/docs', 'docs/x', '#top', '//cdn.example/x', '?q=1&b=2', 'https://a.b/?x=1&amp;y=2']) assert.notEqual(safeUrl(ok), undefined, ok);
  for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:x', 'java\tscript:x', 'java\nscript:x', 'jav&#x61;script:x', 'jav&#97;script:x', 'javascript&colon;x', 'data:text/html,x', 'vbscript:x', 'file:///etc/passwd', 'jav&unknown;script:x']) {
    assert.equal(safeUrl(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(renderMarkdown('[x](javascript&colon;alert(1))'), '<p>x</p>\n');
  // Images from other origins would be blocked by the portal's CSP: they become links.
  assert.equal(renderMarkdown('![Diagram](https://cdn.example/d.png) ![Logo](/portal/api/branding/logo)'),
    '<p><a href="https://cdn.example/d.png" rel="noopener noreferrer nofollow">Diagram</a> <img src="/portal/api/branding/logo" alt="Logo" loading="lazy"></p>\n');
});

test('logo: signatures must match the declared type; size capped; unsafe SVG refused', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  const ok = checkLogo('image/png', png.toString('base64'));
  assert.ok(ok.ok && ok.sha256.length === 64);
  assert.equal(checkLogo('image/jpeg', png.toString('base64')).ok, false);
  assert.equal(checkLogo('image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64')).ok, true);
  assert.equal(checkLogo('image/png', Buffer.concat([png, Buffer.alloc(LOGO_MAX_BYTES)]).toString('base64')).ok, false);
  const svg = (s: string) => checkLogo('image/svg+xml', Buffer.from(s).toString('base64'));
  assert.equal(svg('<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h1"/></svg>').ok, true);
  assert.equal(svg('\uFEFF<?xml version="1.0"?><!-- logo --><svg xmlns="http://www.w3.org/2000/svg"/>').ok, true);
  for (const bad of [
    '<svg><script>1</script></svg>', '<svg><svg:script>1</svg:script></svg>', '<svg onload="x()"/>', '<svg><rect ONCLICK="x()"/></svg>',
    '<svg><foreignObject/></svg>', '<svg><use xlink:href="http://e.x/a.svg#i"/></svg>', '<svg><a href="javascript:x()"/></svg>',
    '<svg style="background:url(//e.x/t)"/>', '<svg><rect fill="url(&#34;http://e.x&#34;)"/></svg>', '<html/>', '<svg>', 'not xml',
  ]) assert.equal(svg(bad).ok, false, bad);
});
