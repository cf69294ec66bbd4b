// Outbound EDI control numbers (ISA13, GS06, UNB05): one increasing sequence per scope (syntax,
// level and sender identity). A caller reserves a block at once so that the numbers it issues
// from memory stay unique across nodes and restarts; the row only ever moves forward.
import type { Db } from '../page.ts';

export interface ControlNumberBlock {
  /** First number of the block. */
  readonly first: number;
  /** Last number of the block (first + count - 1). */
  readonly last: number;
}

export class EdiControlNumbers {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Reserves `count` numbers of `scope`, above every number reserved before and above `floor`
   * (e.g. numbers issued before the store was used). One statement: concurrent reservations,
   * from any node, get disjoint blocks.
   */
  async reserve(scope: string, count: number, floor = 0): Promise<ControlNumberBlock> {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
    const now = new Date().toISOString();
    const r = await this.#db.insertInto('edi_control_numbers')
      .values({ scope, last: floor + count, updated_at: now })
      .onConflict((oc) => oc.column('scope').doUpdateSet((eb) => ({
        // max(last, floor) + count, written portably for SQLite and Postgres.
        last: eb.case().when('edi_control_numbers.last', '<', floor).then(floor + count)
          .else(eb('edi_control_numbers.last', '+', count)).end(),
        updated_at: eb.ref('excluded.updated_at'),
      })))
      .returning('last')
      .executeTakeFirstOrThrow();
    const last = Number(r.last); // pg returns bigint as a string
    return { first: last - count + 1, last };
  }

  /** The last number reserved in `scope` (0 when none). */
  async current(scope: string): Promise<number> {
    const r = await this.#db.selectFrom('edi_control_numbers').select('last').where('scope', '=', scope).executeTakeFirst();
    return Number(r?.last ?? 0);
  }
}
