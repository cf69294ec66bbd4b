// The worker ↔ supervisor channel for EDI control number blocks, both real sides wired back to
// back (the IPC pipe replaced by a function call on the next turn): two workers share one
// sequence, bad asks are refused, and a supervisor that is gone or silent fails the reservation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryControlNumbers } from '../store/counters/control-numbers.ts';
import { ControlNumberBlocks } from '../plugins/edi/control-numbers.ts';
import { answerReservation, isReserveMessage, SupervisorControlNumbers, type ReserveMessage } from './control-number-channel.ts';

function wired(opts: { drop?: boolean; refuse?: boolean } = {}) {
  const supervisor = new MemoryControlNumbers();
  const messages: ReserveMessage[] = [];
  const make = () => {
    const w: SupervisorControlNumbers = new SupervisorControlNumbers((m) => {
      if (opts.refuse) return false;
      messages.push(m);
      if (!opts.drop) setImmediate(async () => w.receive(await answerReservation(m, supervisor)));
      return true;
    }, { timeoutMs: 200 });
    return w;
  };
  return { messages, make };
}

test('two workers take numbers from one node-wide sequence: all distinct, one message per block', async () => {
  const ch = wired();
  const workers = [ch.make(), ch.make()].map((w) => new ControlNumberBlocks(() => w, { blockSize: 10 }));
  const numbers = await Promise.all(Array.from({ length: 60 }, (_, i) => workers[i % 2]!.take('x12:interchange:ZZ:US')));
  assert.equal(new Set(numbers).size, 60);
  assert.ok(ch.messages.every((m) => isReserveMessage(m) && m.count === 10));
  assert.ok(ch.messages.length >= 6 && ch.messages.length <= 10, `${ch.messages.length} reservations for 60 numbers in blocks of 10`);
});

test('the supervisor refuses asks out of bounds (a worker cannot drain a sequence)', async () => {
  const mem = new MemoryControlNumbers();
  const big = await answerReservation({ type: 'portcullis:edi-reserve', id: 1, scope: 's', count: 1e9 }, mem);
  assert.ok('error' in big && /count/.test(big.error));
  const noScope = await answerReservation({ type: 'portcullis:edi-reserve', id: 2, scope: 7 as unknown as string, count: 1 }, mem);
  assert.ok('error' in noScope);
  const ok = await answerReservation({ type: 'portcullis:edi-reserve', id: 3, scope: 's', count: 5 }, mem);
  assert.ok('block' in ok && ok.block.last - ok.block.first === 4 && ok.id === 3);
});

test('a supervisor that is gone or silent fails the reservation', async () => {
  await assert.rejects(wired({ refuse: true }).make().reserve('s', 1), /not reachable/);
  await assert.rejects(wired({ drop: true }).make().reserve('s', 1), /did not answer in time/);
});
