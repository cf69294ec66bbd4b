import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTimeZone, periodBounds, PeriodClock } from './periods.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (b: { start: number; end: number }) => [new Date(b.start).toISOString(), new Date(b.end).toISOString()];

test('UTC days and months', () => {
  assert.deepEqual(iso(periodBounds('day', 'UTC', at('2024-02-29T13:00:00Z'))), ['2024-02-29T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
  assert.deepEqual(iso(periodBounds('month', 'UTC', at('2024-02-29T23:59:59.999Z'))), ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
  assert.deepEqual(iso(periodBounds('month', 'UTC', at('2024-03-01T00:00:00Z'))), ['2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z'], 'the end is exclusive');
});

test('year ends roll over to January of the next year', () => {
  assert.deepEqual(iso(periodBounds('month', 'UTC', at('2024-12-31T23:00:00Z'))), ['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
  assert.deepEqual(iso(periodBounds('day', 'UTC', at('2024-12-31T23:00:00Z'))), ['2024-12-31T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
  // Auckland (+13 in summer) is already in 2025 at 11:00 UTC on Dec 31.
  assert.deepEqual(iso(periodBounds('month', 'Pacific/Auckland', at('2024-12-31T11:00:00Z'))), ['2024-12-31T11:00:00.000Z', '2025-01-31T11:00:00.000Z']);
  assert.deepEqual(iso(periodBounds('month', 'Pacific/Auckland', at('2024-12-31T10:59:59Z'))), ['2024-11-30T11:00:00.000Z', '2024-12-31T11:00:00.000Z']);
  // Honolulu (-10, no DST) is still in 2024 at 05:00 UTC on Jan 1.
  assert.deepEqual(iso(periodBounds('day', 'Pacific/Honolulu', at('2025-01-01T05:00:00Z'))), ['2024-12-31T10:00:00.000Z', '2025-01-01T10:00:00.000Z']);
});

test('DST: days of 23 and 25 hours, months that change offset', () => {
  // New York springs forward on 2024-03-10 (EST -5 → EDT -4): a 23-hour day.
  const spring = periodBounds('day', 'America/New_York', at('2024-03-10T12:00:00Z'));
  assert.deepEqual(iso(spring), ['2024-03-10T05:00:00.000Z', '2024-03-11T04:00:00.000Z']);
  assert.equal(spring.end - spring.start, 23 * 3600_000);
  // ... and falls back on 2024-11-03: a 25-hour day.
  const fall = periodBounds('day', 'America/New_York', at('2024-11-03T12:00:00Z'));
  assert.deepEqual(iso(fall), ['2024-11-03T04:00:00.000Z', '2024-11-04T05:00:00.000Z']);
  assert.equal(fall.end - fall.start, 25 * 3600_000);
  // London's March starts in GMT and ends in BST.
  assert.deepEqual(iso(periodBounds('month', 'Europe/London', at('2024-03-31T22:59:59Z'))), ['2024-03-01T00:00:00.000Z', '2024-03-31T23:00:00.000Z']);
  assert.deepEqual(iso(periodBounds('month', 'Europe/London', at('2024-03-31T23:00:00Z'))), ['2024-03-31T23:00:00.000Z', '2024-04-30T23:00:00.000Z']);
  // Lord Howe moves by half an hour (+10:30 → +11 on 2024-10-06 at 02:00).
  const lh = periodBounds('day', 'Australia/Lord_Howe', at('2024-10-06T03:00:00Z'));
  assert.deepEqual(iso(lh), ['2024-10-05T13:30:00.000Z', '2024-10-06T13:00:00.000Z']);
  assert.equal(lh.end - lh.start, 23.5 * 3600_000);
});

test('a zone whose clocks skip midnight: the day starts at the first local second that exists', () => {
  // Santiago springs forward at 24:00 on 2024-09-07 (-4 → -3): 2024-09-08 00:00 never happens
  // there; that day starts at 01:00 local, 04:00 UTC.
  const day = periodBounds('day', 'America/Santiago', at('2024-09-08T12:00:00Z'));
  assert.deepEqual(iso(day), ['2024-09-08T04:00:00.000Z', '2024-09-09T03:00:00.000Z']);
  assert.deepEqual(iso(periodBounds('day', 'America/Santiago', at('2024-09-08T03:59:59Z'))), ['2024-09-07T04:00:00.000Z', '2024-09-08T04:00:00.000Z']);
});

test('offsets with minutes (Kathmandu +05:45)', () => {
  assert.deepEqual(iso(periodBounds('month', 'Asia/Kathmandu', at('2024-06-15T00:00:00Z'))), ['2024-05-31T18:15:00.000Z', '2024-06-30T18:15:00.000Z']);
});

test('consecutive periods tile the timeline: each ends where the next starts', () => {
  for (const zone of ['Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Tehran']) {
    for (const period of ['day', 'month'] as const) {
      let b = periodBounds(period, zone, at('2023-12-20T00:00:00Z'));
      for (let i = 0; i < (period === 'day' ? 400 : 14); i++) {
        const next = periodBounds(period, zone, b.end);
        assert.equal(next.start, b.end, `${zone} ${period} after ${new Date(b.end).toISOString()}`);
        assert.ok(next.end > next.start);
        assert.equal(periodBounds(period, zone, b.end - 1).end, b.end, 'the last millisecond still belongs to the period');
        b = next;
      }
    }
  }
});

test('time zone names: canonical form, unknown and fixed offsets refused', () => {
  assert.equal(canonicalTimeZone('utc'), 'UTC');
  assert.equal(canonicalTimeZone('Europe/Paris'), 'Europe/Paris');
  assert.equal(canonicalTimeZone('Mars/Olympus'), undefined);
  assert.equal(canonicalTimeZone('+02:00'), undefined);
  assert.equal(canonicalTimeZone(''), undefined);
});

test('PeriodClock recomputes only when the period changes', () => {
  const clock = new PeriodClock();
  const a = clock.bounds('day', 'UTC', at('2024-05-01T10:00:00Z'));
  assert.equal(clock.bounds('day', 'UTC', at('2024-05-01T23:59:59Z')), a, 'same object: cached');
  const b = clock.bounds('day', 'UTC', at('2024-05-02T00:00:00Z'));
  assert.equal(b.start, a.end);
  assert.notEqual(clock.bounds('month', 'UTC', at('2024-05-02T00:00:00Z')), b, 'days and months are cached apart');
});
