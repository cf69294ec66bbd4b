// Store conformance for portal branding (run by src/store/conformance/suite.ts on every adapter):
// the single branding row and its logo, custom pages unique by slug, ordering, published filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateKeyError } from '../ports.ts';
import type { SuiteContext } from '../conformance/support.ts';
import { unique } from '../conformance/support.ts';

export function brandingTests(ctx: SuiteContext): void {
  const { store } = ctx;

  test('branding: one row, created then updated with a bumped version; the logo is set and cleared apart', async () => {
    const s = store();
    const first = await s.write((tx) => tx.branding.putBranding({ name: 'Acme developers', primary_color: '#112233', accent_color: '#445566' }));
    const again = await s.write((tx) => tx.branding.putBranding({ name: 'Acme APIs', primary_color: '#000000', accent_color: '#ffffff' }));
    // The suite shares one database: an earlier run may have created the row already.
    assert.equal(again.version, first.version + 1);
    const logo = { type: 'image/png', data: Buffer.from('not really a png').toString('base64'), sha256: 'abc' };
    const withLogo = await s.write((tx) => tx.branding.setLogo(logo));
    assert.equal(withLogo?.version, again.version + 1);
    const read = await s.read().branding.getBranding();
    assert.deepEqual(read, { ...withLogo, id: 'portal', name: 'Acme APIs', primary_color: '#000000', accent_color: '#ffffff', logo_type: 'image/png', logo_data: logo.data, logo_sha256: 'abc' });
    // Name and colours leave the logo alone.
    await s.write((tx) => tx.branding.putBranding({ name: 'Acme', primary_color: '#000000', accent_color: '#ffffff' }));
    assert.equal((await s.read().branding.getBranding())?.logo_data, logo.data);
    await s.write((tx) => tx.branding.setLogo(undefined));
    const cleared = await s.read().branding.getBranding();
    assert.equal(cleared?.logo_type, null);
    assert.equal(cleared?.logo_data, null);
    assert.equal(cleared?.name, 'Acme');
  });

  test('branding: pages are unique by slug, listed by nav order then title, filtered to the published ones', async () => {
    const s = store();
    const tag = unique('pg');
    const a = await s.write((tx) => tx.branding.insertPage({ slug: `${tag}-a`, title: `${tag} B`, body: '# A', published: true, nav_order: 2 }));
    const b = await s.write((tx) => tx.branding.insertPage({ slug: `${tag}-b`, title: `${tag} A`, body: 'b', published: false, nav_order: 2 }));
    const c = await s.write((tx) => tx.branding.insertPage({ slug: `${tag}-c`, title: `${tag} C`, body: 'c', published: true, nav_order: 1 }));
    assert.equal(a.published, true);
    assert.equal(a.version, 1);
    await assert.rejects(s.write((tx) => tx.branding.insertPage({ slug: `${tag}-a`, title: 'dup', body: '', published: false, nav_order: 0 })), DuplicateKeyError);
    const mine = (pages: { slug: string }[]) => pages.map((p) => p.slug).filter((slug) => slug.startsWith(tag));
    assert.deepEqual(mine(await s.read().branding.listPages()), [`${tag}-c`, `${tag}-b`, `${tag}-a`]);
    assert.deepEqual(mine(await s.read().branding.listPages({ publishedOnly: true })), [`${tag}-c`, `${tag}-a`]);
    assert.deepEqual(await s.read().branding.getPageBySlug(`${tag}-b`), b);

    const updated = await s.write((tx) => tx.branding.updatePage(b.id, { slug: `${tag}-b2`, title: 'Renamed', body: 'new', published: true, nav_order: 0 }));
    assert.equal(updated?.version, 2);
    assert.deepEqual(await s.read().branding.getPage(b.id), updated);
    assert.equal(await s.read().branding.getPageBySlug(`${tag}-b`), undefined);
    await assert.rejects(s.write((tx) => tx.branding.updatePage(b.id, { slug: `${tag}-c`, title: 'x', body: '', published: true, nav_order: 0 })), DuplicateKeyError);
    assert.equal(await s.write((tx) => tx.branding.updatePage(unique('nope'), { slug: unique('s'), title: 'x', body: '', published: true, nav_order: 0 })), undefined);

    assert.equal(await s.write((tx) => tx.branding.deletePage(c.id)), true);
    assert.equal(await s.write((tx) => tx.branding.deletePage(c.id)), false);
    assert.equal(await s.read().branding.getPage(c.id), undefined);
  });
}
