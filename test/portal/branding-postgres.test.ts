// Portal branding on Postgres: name and colours, a logo served back byte for byte, a page created,
// published, rendered, renamed and deleted, on a fresh database on the server
// PORTCULLIS_TEST_POSTGRES names. Skipped locally without it; fails on CI without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, onCi, POSTGRES_ENV, postgresUrl } from '../harness/postgres.ts';
import { assertProblem, withPortal, type Json } from './helpers.ts';

if (postgresUrl() !== undefined) {
  test('portal branding on Postgres: name, colours, logo and pages', async () => {
    const db = await createTestDatabase();
    try {
      await withPortal(async (h) => {
        const set = await h.admin('PUT', '/admin/portal/branding', { name: 'PG portal', primary_color: '#0b5fff', accent_color: '#c2410c' });
        assert.equal(set.status, 200, set.text);
        const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255]);
        const logo = await h.admin('PUT', '/admin/portal/branding/logo', { content_type: 'image/png', data: png.toString('base64') });
        assert.equal(logo.status, 200, logo.text);
        const pub = await h.client().get('/portal/api/branding');
        assert.deepEqual([pub.body.name, pub.body.primary_color], ['PG portal', '#0b5fff']);
        const served = await h.app.inject({ method: 'GET', url: String(pub.body.logo_url) });
        assert.deepEqual(served.rawPayload, png);

        const page = await h.admin('POST', '/admin/portal/pages', { slug: 'guide', title: 'Guide', body: '# Start\n\n<b>raw</b>', published: true });
        assert.equal(page.status, 201, page.text);
        assertProblem(await h.admin('POST', '/admin/portal/pages', { slug: 'guide', title: 'Dup', body: '' }), 409, 'conflict');
        assert.equal((await h.client().get('/portal/api/pages/guide')).body.html, '<h1>Start</h1>\n<p>&lt;b&gt;raw&lt;/b&gt;</p>\n');
        assert.deepEqual((await h.client().get('/portal/api/branding')).body.pages, [{ slug: 'guide', title: 'Guide' }]);
        const renamed = await h.admin('PUT', `/admin/portal/pages/${String(page.body.id)}`, { slug: 'start', title: 'Start here', body: 'x', published: false });
        assert.equal((renamed.body as Json).version, 2);
        assertProblem(await h.client().get('/portal/api/pages/start'), 404, 'not-found');
        assert.equal((await h.admin('DELETE', '/admin/portal/pages/start')).status, 204);
        assert.deepEqual((await h.admin('GET', '/admin/portal/pages')).body.data, []);
      }, { db: db.url });
    } finally {
      await db.drop();
    }
  });
} else if (onCi()) {
  test('portal branding on Postgres', () => {
    assert.fail(`${POSTGRES_ENV} is not set: CI must run portal branding on Postgres`);
  });
} else {
  test('portal branding on Postgres', { skip: `${POSTGRES_ENV} is not set: portal branding was not run on Postgres` }, () => undefined);
}
