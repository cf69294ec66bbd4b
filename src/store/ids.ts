// UUIDv7 (RFC 9562): time-ordered ids, so keyset pagination by id follows creation order and
// the ids index stays append-mostly on both databases.
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;

export function uuidv7(now = Date.now()): string {
  // A counter in the 12 "rand_a" bits keeps ids from one process increasing within a millisecond.
  if (now <= lastMs) { seq = (seq + 1) & 0xfff; if (seq === 0) lastMs += 1; now = lastMs; } else { lastMs = now; seq = randomBytes(1)[0]! & 0x7f; }
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
