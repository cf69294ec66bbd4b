import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPeriodic } from './periodic.ts';

test('rounds never overlap: a run() while one is running shares it', async () => {
  let release!: () => void;
  let rounds = 0;
  const job = startPeriodic(() => { rounds++; return new Promise<number>((r) => { release = () => r(rounds); }); }, 3_600_000, { error: () => assert.fail('no error expected') });
  const a = job.run();
  const b = job.run();
  assert.equal(rounds, 1, 'the start round is the one both calls get');
  release();
  assert.deepEqual(await Promise.all([a, b]), [1, 1]);
  const c = job.run();
  assert.equal(rounds, 2, 'a new round once the last has finished');
  release();
  assert.equal(await c, 2);
  await job.stop();
});

test('a failed round is reported and the next one runs', async () => {
  const errors: string[] = [];
  const results: number[] = [];
  let n = 0;
  const job = startPeriodic(async () => { n++; if (n === 1) throw new Error('store down'); return n; }, 3_600_000, { error: (e) => errors.push(e.message), result: (r) => results.push(r) });
  assert.equal(await job.run(), undefined, 'the start round failed');
  assert.equal(await job.run(), 2);
  assert.deepEqual(errors, ['store down']);
  assert.deepEqual(results, [2]);
  await job.stop();
});
