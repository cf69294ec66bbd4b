// The catalog's plan wording: prices from minor units, tiers as ranges, limits in words.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allTags, minorDigits, money, perWindow, priceHeadline, showsIncluded, tierRows, type Price } from '../../web/src/portal/catalog/format.ts';

const price = (p: Partial<Price>): Price => ({ model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [], ...p });

test('money: minor units in the currency, fractions of a cent kept', () => {
  assert.equal(money(9900, 'USD'), '$99.00');
  assert.equal(money(0.05, 'USD'), '$0.0005');
  assert.equal(money(500, 'JPY'), '¥500');
  assert.equal(minorDigits('JPY'), 0);
  assert.equal(minorDigits('not-a-currency'), 2);
  assert.equal(money(123, 'XX1'), '1.23 XX1');
});

test('price headline per model', () => {
  assert.equal(priceHeadline(price({ model: 'free', monthly_minor: 500 })), 'Free');
  assert.equal(priceHeadline(price({ model: 'flat', monthly_minor: 9900 })), '$99.00 per month');
  assert.equal(priceHeadline(price({ model: 'per_call', per_call_minor: 0.5 })), '$0.005 per call');
  assert.equal(priceHeadline(price({ model: 'per_call', monthly_minor: 1000, per_call_minor: 1 })), '$10.00 per month + $0.01 per call');
  assert.equal(priceHeadline(price({ model: 'tiered' })), 'Usage by tier');
  assert.equal(priceHeadline(price({ model: 'tiered', monthly_minor: 100 })), '$1.00 per month + usage by tier');
});

test('tiers read as graduated ranges', () => {
  const rows = tierRows(price({ model: 'tiered', tiers: [{ up_to: 1000, per_call_minor: 0.5 }, { up_to: 10000, per_call_minor: 0.2 }, { up_to: null, per_call_minor: 0.1 }] }));
  assert.deepEqual(rows.map((r) => r.range), ['1 – 1,000', '1,001 – 10,000', 'from 10,001']);
  assert.equal(rows[0]!.price, '$0.005 per call');
  assert.deepEqual(tierRows(price({ tiers: [{ up_to: null, per_call_minor: 1 }] })).map((r) => r.range), ['every call']);
});

test('included calls only for charged usage; limits in words; tags unique and sorted', () => {
  assert.equal(showsIncluded(price({ model: 'per_call', included_calls: 100 })), true);
  assert.equal(showsIncluded(price({ model: 'flat', included_calls: 100 })), false);
  assert.equal(perWindow(1000, 'minute'), '1,000 per minute');
  assert.deepEqual(allTags([{ tags: ['b', 'a'], apis: [{ tags: ['a', 'c'] }] }, { tags: [], apis: [] }]), ['a', 'b', 'c']);
});
