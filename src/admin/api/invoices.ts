// Admin invoices (docs/billing.md): list every team's invoices, and settle an open one — mark it
// paid when the money arrived (the manual provider's bank transfer) or void it. Each settlement is
// audit-logged; an invoice is settled once (the store's conditional update decides between racers).
import Type from 'typebox';
import type { InvoiceStatus } from '../../store/billing/invoices.ts';
import type { Store } from '../../store/ports.ts';
import type { InvoiceRow } from '../../store/schema.ts';
import { ApiProblem, CURSOR_PARAM, LIMIT_PARAM, Timestamp, Uuid, pageBody, pageParams, pageSchema, type OpInput, type Operation } from './types.ts';

const STATUSES = ['open', 'paid', 'void'] as const;

const AdminInvoiceSchema = Type.Object({
  id: Uuid, number: Type.String(), status: Type.Union(STATUSES.map((s) => Type.Literal(s))),
  team_id: Type.String(), app_id: Type.String(), consumer: Type.String(), product: Type.String(), plan: Type.String(),
  period_start: Timestamp, period_end: Timestamp, currency: Type.String(), calls: Type.Integer(), billable_calls: Type.Integer(),
  lines: Type.Array(Type.Object({ description: Type.String(), kind: Type.String(), quantity: Type.Integer(), unit_price_minor: Type.Number(), amount_minor: Type.Integer() })),
  subtotal_minor: Type.Integer(), total_minor: Type.Integer(), provider: Type.String(), provider_reference: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp, updated_at: Timestamp, paid_at: Type.Union([Timestamp, Type.Null()]), voided_at: Type.Union([Timestamp, Type.Null()]),
}, { title: 'AdminInvoice' });
const SettleSchema = Type.Object({ reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'e.g. the bank transfer’s reference.' })) }, { additionalProperties: false, title: 'InvoiceSettlement' });

const present = (r: InvoiceRow) => ({ ...r, lines: JSON.parse(r.lines) as unknown[] });

export function invoiceOperations(store: Store): Operation[] {
  const settle = (status: 'paid' | 'void') => async (input: OpInput) => {
    const body = (input.body ?? {}) as { reference?: unknown };
    if (body.reference !== undefined && (typeof body.reference !== 'string' || body.reference.length === 0 || body.reference.length > 200)) {
      throw new ApiProblem('validation-failed', 'reference must be a string of 1 to 200 characters', [{ pointer: '/reference', detail: 'must be a string of 1 to 200 characters' }]);
    }
    const reference = body.reference as string | undefined;
    const id = input.params.id!;
    const updated = await store.write(async (tx) => {
      const before = await tx.invoices.get(id);
      if (!before) throw new ApiProblem('not-found', 'no such invoice');
      const after = await tx.invoices.settle(id, status, new Date().toISOString(), reference);
      if (!after) throw new ApiProblem('invoice-not-open', `invoice ${before.number} is ${before.status}`);
      await tx.appendAudit({
        actor: input.principal?.user ?? 'anonymous', action: status === 'paid' ? 'pay' : 'void', entity: 'invoice', entity_id: id, entity_key: after.number,
        before: JSON.stringify({ status: before.status }), after: JSON.stringify({ status: after.status, ...(reference !== undefined ? { reference } : {}) }), request_id: input.requestId,
      });
      return after;
    });
    return { body: present(updated) };
  };
  return [
    {
      id: 'list-invoices', method: 'GET', path: '/admin/invoices', tag: 'Invoice', role: 'viewer',
      summary: 'Invoices of every team, newest first',
      query: [LIMIT_PARAM, CURSOR_PARAM,
        { name: 'status', description: '`open`, `paid` or `void`.', schema: Type.Union(STATUSES.map((s) => Type.Literal(s))) },
        { name: 'team', description: 'Only this portal team’s (its id).', schema: Type.String() },
        { name: 'consumer', description: 'Only this consumer’s (application).', schema: Type.String() }],
      responses: { 200: { description: 'One page.', schema: pageSchema(AdminInvoiceSchema) } },
      async handler(input) {
        const q = input.query;
        if (q.status !== undefined && !(STATUSES as readonly string[]).includes(q.status)) throw new ApiProblem('validation-failed', 'status must be open, paid or void', [{ pointer: '/query/status', detail: 'must be open, paid or void' }]);
        const page = await store.read().invoices.list({
          ...pageParams(q), ...(q.status !== undefined ? { status: q.status as InvoiceStatus } : {}),
          ...(q.team !== undefined ? { team_id: q.team } : {}), ...(q.consumer !== undefined ? { consumer: q.consumer } : {}),
        });
        return { body: pageBody(page, present) };
      },
    },
    {
      id: 'get-invoice', method: 'GET', path: '/admin/invoices/{id}', tag: 'Invoice', role: 'viewer',
      summary: 'An invoice',
      responses: { 200: { description: 'The invoice.', schema: AdminInvoiceSchema } },
      problems: ['not-found'],
      async handler(input) {
        const row = await store.read().invoices.get(input.params.id!);
        if (!row) throw new ApiProblem('not-found', 'no such invoice');
        return { body: present(row) };
      },
    },
    {
      id: 'pay-invoice', method: 'POST', path: '/admin/invoices/{id}/pay', tag: 'Invoice', role: 'admin', write: true,
      summary: 'Mark an open invoice paid',
      description: 'For providers that do not collect by themselves (the manual one: bank transfer). Audit-logged.',
      body: SettleSchema, bodyRequired: false,
      responses: { 200: { description: 'The paid invoice.', schema: AdminInvoiceSchema } },
      problems: ['not-found', 'invoice-not-open'],
      handler: settle('paid'),
    },
    {
      id: 'void-invoice', method: 'POST', path: '/admin/invoices/{id}/void', tag: 'Invoice', role: 'admin', write: true,
      summary: 'Void an open invoice',
      description: 'Nothing is owed any more (a billing mistake, a goodwill gesture). A paid invoice cannot be voided. Audit-logged.',
      body: SettleSchema, bodyRequired: false,
      responses: { 200: { description: 'The void invoice.', schema: AdminInvoiceSchema } },
      problems: ['not-found', 'invoice-not-open'],
      handler: settle('void'),
    },
  ];
}
