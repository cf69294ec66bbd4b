// Uploaded portal logos: PNG, JPEG or SVG, at most 256 KiB, the declared type checked against the
// file's own bytes. SVG can carry script, so an SVG is refused unless it is well-formed XML with an
// <svg> root and none of: script elements, event-handler attributes, foreignObject, entity
// declarations, or references outside the document (href/xlink:href other than "#…", url() to
// anything but "#…"). It is also served with a Content-Security-Policy that forbids script and
// sandboxes the document (LOGO_HEADERS), in case a browser opens it directly.
import { createHash } from 'node:crypto';
import { XMLValidator } from 'fast-xml-parser';

export const LOGO_MAX_BYTES = 256 * 1024;
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

/** Headers a logo is served with: the stored type, never sniffed, never able to run script. */
export const LOGO_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  'content-disposition': 'inline; filename="logo"',
  'cross-origin-resource-policy': 'same-origin',
};

export type LogoCheck = { ok: true; bytes: Buffer; sha256: string } | { ok: false; reason: string };

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function svgProblem(text: string): string | undefined {
  if (/<!ENTITY/i.test(text)) return 'the SVG declares entities';
  if (XMLValidator.validate(text) !== true) return 'the SVG is not well-formed XML';
  // The root element, past an XML declaration, comments and a doctype.
  const root = /^(?:\s|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*>)*<([A-Za-z][\w:.-]*)/.exec(text.replace(/^\uFEFF/, ''));
  if (root?.[1] !== 'svg') return 'the file is not an SVG image (its root element is not <svg>)';
  if (/<([\w-]+:)?script[\s>/]/i.test(text)) return 'the SVG contains a script';
  if (/<([\w-]+:)?foreignObject[\s>/]/i.test(text)) return 'the SVG contains foreignObject (embedded HTML)';
  if (/\son[a-z]+\s*=/i.test(text)) return 'the SVG has event-handler attributes (on…)';
  for (const m of text.matchAll(/\s(?:[\w-]+:)?href\s*=\s*(["'])(.*?)\1/gis)) {
    if (!m[2]!.trim().startsWith('#')) return 'the SVG refers to another document (href); only references inside it (#id) are allowed';
  }
  for (const m of text.matchAll(/url\(\s*(["']?)(.*?)\1\s*\)/gis)) {
    if (!m[2]!.trim().startsWith('#')) return 'the SVG loads another resource (url()); only references inside it (#id) are allowed';
  }
  if (/javascript:/i.test(text)) return 'the SVG contains a javascript: URL';
  return undefined;
}

/** Decodes and checks an uploaded logo (base64 `data` of the declared `type`). */
export function checkLogo(type: LogoType, data: string): LogoCheck {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return { ok: false, reason: 'data is not base64' };
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) return { ok: false, reason: 'the file is empty' };
  if (bytes.length > LOGO_MAX_BYTES) return { ok: false, reason: `the file is ${bytes.length} bytes; at most ${LOGO_MAX_BYTES} (256 KiB) are allowed` };
  if (type === 'image/png' && !bytes.subarray(0, 8).equals(PNG)) return { ok: false, reason: 'the file is not a PNG image' };
  if (type === 'image/jpeg' && !(bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)) return { ok: false, reason: 'the file is not a JPEG image' };
  if (type === 'image/svg+xml') {
    const text = bytes.toString('utf8');
    if (Buffer.from(text, 'utf8').length !== bytes.length || text.includes('\uFFFD')) return { ok: false, reason: 'the SVG is not UTF-8 text' };
    const problem = svgProblem(text);
    if (problem) return { ok: false, reason: problem };
  }
  return { ok: true, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
