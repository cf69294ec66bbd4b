// Store conformance, EDI: trading partners are entities like the others (the table of migration
// 005), and outbound control numbers only move forward, in disjoint blocks, across stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unique, type SuiteContext } from './support.ts';

export function ediTests(ctx: SuiteContext): void {
  const { store } = ctx;

  test('trading partners: insert, get by key, update with a version, list, delete', async () => {
    const s = store();
    const name = unique('partner');
    const data = { name, x12: { qualifier: 'ZZ', id: 'ACME' }, document_types: ['856'], routes: ['asn'], acknowledgement: 'always', enabled: true, tags: ['edi'] };
    const row = await s.write((tx) => tx.insert('trading_partner', data, 0), { bump: true });
    assert.equal(row.key, name);
    assert.deepEqual((await s.read().getByKey('trading_partner', name))?.data, data);
    const updated = await s.write((tx) => tx.update('trading_partner', row.id, { ...data, enabled: false }, 1), { bump: true });
    assert.equal(updated.version, 2);
    const page = await s.read().list('trading_partner', { limit: 100, tag: 'edi' });
    assert.ok(page.data.some((e) => e.id === row.id));
    await s.write((tx) => tx.delete('trading_partner', row.id, 2), { bump: true });
    assert.equal(await s.read().get('trading_partner', row.id), undefined);
  });

  test('EDI control numbers: blocks increase, respect a floor, fit 9+ digits, and are disjoint under concurrency', async () => {
    const s = store();
    const scope = unique('x12:interchange');
    assert.equal(await s.read().ediControlNumbers.current(scope), 0);
    assert.deepEqual(await s.write((tx) => tx.ediControlNumbers.reserve(scope, 10)), { first: 1, last: 10 });
    assert.deepEqual(await s.write((tx) => tx.ediControlNumbers.reserve(scope, 1)), { first: 11, last: 11 });
    // A floor above the sequence moves it up; one below changes nothing.
    assert.deepEqual(await s.write((tx) => tx.ediControlNumbers.reserve(scope, 5, 999_999_000)), { first: 999_999_001, last: 999_999_005 });
    assert.deepEqual(await s.write((tx) => tx.ediControlNumbers.reserve(scope, 1, 7)), { first: 999_999_006, last: 999_999_006 });
    assert.deepEqual(await s.write((tx) => tx.ediControlNumbers.reserve(scope, 3_000_000_000)), { first: 999_999_007, last: 3_999_999_006 });
    assert.equal(await s.read().ediControlNumbers.current(scope), 3_999_999_006);
    await assert.rejects(s.write((tx) => tx.ediControlNumbers.reserve(scope, 0)), RangeError);

    const raced = unique('x12:interchange');
    const blocks = await Promise.all(Array.from({ length: 12 }, () => s.write((tx) => tx.ediControlNumbers.reserve(raced, 100))));
    const firsts = blocks.map((b) => b.first).sort((a, b) => a - b);
    assert.deepEqual(firsts, Array.from({ length: 12 }, (_, i) => i * 100 + 1), 'disjoint, gap-free blocks');
  });

  test('EDI control numbers: another store on the same database continues the sequence', async (t) => {
    if (!ctx.shareable(t)) return;
    const scope = unique('edifact:interchange');
    await store().write((tx) => tx.ediControlNumbers.reserve(scope, 41));
    const other = await ctx.openAnother();
    try {
      assert.deepEqual(await other.write((tx) => tx.ediControlNumbers.reserve(scope, 1)), { first: 42, last: 42 });
    } finally {
      await ctx.closeAnother(other);
    }
  });
}
