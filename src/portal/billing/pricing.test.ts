import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineAmount, priceUsage, PricingError, type PlanPrice } from './pricing.ts';

const price = (over: Partial<PlanPrice>): PlanPrice => ({ model: 'free', currency: 'USD', monthly_minor: 0, per_call_minor: 0, included_calls: 0, tiers: [], ...over });
/** [description, quantity, unit price, amount] per line. */
const summary = (p: ReturnType<typeof priceUsage>) => p.lines.map((l) => [l.description, l.quantity, l.unit_price_minor, l.amount_minor]);

test('lineAmount: exact, rounded once per line, half up', () => {
  const cases: [number, number, number][] = [
    [0, 5, 0],
    [3, 0.1, 0], // 0.3 → 0
    [5, 0.1, 1], // 0.5 → 1
    [4, 0.1, 0], // 0.4 → 0
    [1250, 0.0004, 1], // 0.5 → 1, where per-call rounding gives 0
    [1249, 0.0004, 0], // 0.4996 → 0
    [15, 0.1, 2], // 1.5 → 2 (float: 15 × 0.1 = 1.5000000000000002, exact here)
    [25, 0.1, 3], // 2.5 → 3 (half up, not to even)
    [1_000_000_000_000, 0.001, 1_000_000_000], // 10^12 calls
    [7, 12, 84],
    [1, 0.0000004, 0], // below the 6th decimal place: 0
    [1_000_000, 0.0000005, 1], // 0.0000005 is kept as 0.000001 (6 places, half up)
  ];
  for (const [q, unit, amount] of cases) assert.equal(lineAmount(q, unit), amount, `${q} × ${unit}`);
  assert.throws(() => lineAmount(1.5, 1), PricingError);
  assert.throws(() => lineAmount(1, -1), PricingError);
  assert.throws(() => lineAmount(1, Number.NaN), PricingError);
});

test('free: nothing charged, whatever else the price says', () => {
  const p = priceUsage(price({ model: 'free', monthly_minor: 999, per_call_minor: 5 }), 10_000);
  assert.deepEqual(p, { currency: 'USD', calls: 10_000, lines: [], subtotal_minor: 0, total_minor: 0 });
});

test('flat: the monthly fee, calls not charged', () => {
  const table: [number, number][] = [[0, 2900], [1, 2900], [1_000_000, 2900]];
  for (const [calls, total] of table) {
    const p = priceUsage(price({ model: 'flat', monthly_minor: 2900, currency: 'EUR', per_call_minor: 3 }), calls);
    assert.deepEqual(summary(p), [['Monthly fee', 1, 2900, 2900]]);
    assert.equal(p.total_minor, total);
    assert.equal(p.currency, 'EUR');
  }
});

test('per call: included calls free, the rest at the unit price; an optional base fee', () => {
  const pro = price({ model: 'per_call', per_call_minor: 0.5, included_calls: 1000 });
  const table: [number, number, (string | number)[][]][] = [
    [0, 0, [['Included calls (up to 1,000)', 0, 0, 0]]],
    [999, 0, [['Included calls (up to 1,000)', 999, 0, 0]]],
    [1000, 0, [['Included calls (up to 1,000)', 1000, 0, 0]]],
    [1001, 1, [['Included calls (up to 1,000)', 1000, 0, 0], ['Calls', 1, 0.5, 1]]], // 0.5 → 1
    [1002, 1, [['Included calls (up to 1,000)', 1000, 0, 0], ['Calls', 2, 0.5, 1]]],
    [1003, 2, [['Included calls (up to 1,000)', 1000, 0, 0], ['Calls', 3, 0.5, 2]]], // 1.5 → 2
    [101_000, 50_000, [['Included calls (up to 1,000)', 1000, 0, 0], ['Calls', 100_000, 0.5, 50_000]]],
  ];
  for (const [calls, total, lines] of table) {
    const p = priceUsage(pro, calls);
    assert.deepEqual(summary(p), lines, `${calls} calls`);
    assert.equal(p.subtotal_minor, total);
    assert.equal(p.total_minor, total);
  }
  const withFee = priceUsage(price({ model: 'per_call', per_call_minor: 2, monthly_minor: 500 }), 10);
  assert.deepEqual(summary(withFee), [['Monthly fee', 1, 500, 500], ['Calls', 10, 2, 20]]);
  assert.equal(withFee.total_minor, 520);
});

test('tiered (graduated): each call at the price of the tier its number falls in, after the included ones', () => {
  const tiers = [{ up_to: 1000, per_call_minor: 0.5 }, { up_to: 10_000, per_call_minor: 0.2 }, { up_to: null, per_call_minor: 0.1 }];
  const graduated = price({ model: 'tiered', tiers });
  const table: [number, (string | number)[][], number][] = [
    [0, [], 0],
    [1000, [['Calls 1–1,000', 1000, 0.5, 500]], 500],
    [1001, [['Calls 1–1,000', 1000, 0.5, 500], ['Calls 1,001–10,000', 1, 0.2, 0]], 500],
    [10_000, [['Calls 1–1,000', 1000, 0.5, 500], ['Calls 1,001–10,000', 9000, 0.2, 1800]], 2300],
    [25_005, [['Calls 1–1,000', 1000, 0.5, 500], ['Calls 1,001–10,000', 9000, 0.2, 1800], ['Calls over 10,000', 15_005, 0.1, 1501]], 3801], // 1500.5 → 1501
  ];
  for (const [calls, lines, total] of table) {
    const p = priceUsage(graduated, calls);
    assert.deepEqual(summary(p), lines, `${calls} calls`);
    assert.equal(p.total_minor, total, `${calls} calls`);
  }
  // Included calls come off the first tiers: 1500 included, so calls 1501–10000 at 0.2.
  const included = priceUsage(price({ model: 'tiered', tiers, included_calls: 1500, monthly_minor: 1000 }), 12_000);
  assert.deepEqual(summary(included), [
    ['Monthly fee', 1, 1000, 1000], ['Included calls (up to 1,500)', 1500, 0, 0], ['Calls 1,001–10,000', 8500, 0.2, 1700], ['Calls over 10,000', 2000, 0.1, 200],
  ]);
  assert.equal(included.total_minor, 2900);
  // A bounded last tier prices every call above it too.
  const bounded = priceUsage(price({ model: 'tiered', tiers: [{ up_to: 10, per_call_minor: 3 }, { up_to: 20, per_call_minor: 2 }] }), 25);
  assert.deepEqual(summary(bounded), [['Calls 1–10', 10, 3, 30], ['Calls over 10', 15, 2, 30]]);
});

test('tiered: invalid tiers and inputs are refused', () => {
  assert.throws(() => priceUsage(price({ model: 'tiered', tiers: [] }), 1), /at least one tier/);
  assert.throws(() => priceUsage(price({ model: 'tiered', tiers: [{ up_to: null, per_call_minor: 1 }, { up_to: 5, per_call_minor: 1 }] }), 1), /only the last tier/);
  assert.throws(() => priceUsage(price({ model: 'tiered', tiers: [{ up_to: 10, per_call_minor: 1 }, { up_to: 10, per_call_minor: 1 }] }), 1), /must increase/);
  assert.throws(() => priceUsage(price({ model: 'per_call' }), -1), PricingError);
  assert.throws(() => priceUsage(price({ model: 'per_call' }), 0.5), PricingError);
});

test('the subtotal is the sum of the line amounts, each rounded on its own', () => {
  // Two usage lines of 0.5 each: rounded per line (1 + 1), not on the sum (1).
  const p = priceUsage(price({ model: 'tiered', tiers: [{ up_to: 1, per_call_minor: 0.5 }, { up_to: null, per_call_minor: 0.5 }] }), 2);
  assert.deepEqual(p.lines.map((l) => l.amount_minor), [1, 1]);
  assert.equal(p.subtotal_minor, 2);
});
