// The built-in provider: bank transfer. Makes no external call; the invoice stays open until an
// admin marks it paid (POST /admin/invoices/{id}/pay) once the money arrived.
import type { PaymentProvider } from './provider.ts';

export interface ManualProviderOptions {
  /** Who to pay and how (bank, IBAN, address), as the operator wrote it. */
  readonly payTo: string;
  /** Days after the invoice date the transfer is due. */
  readonly dueDays: number;
}

export function manualProvider(opts: ManualProviderOptions): PaymentProvider {
  return {
    name: 'manual',
    collect: () => Promise.resolve({}),
    instructions(invoice) {
      if (invoice.status !== 'open') return { provider: 'manual', text: invoice.status === 'paid' ? 'Paid. Thank you.' : 'This invoice was voided: nothing is owed.' };
      if (invoice.total_minor === 0) return { provider: 'manual', text: 'Nothing to pay.' };
      return { provider: 'manual', text: `Pay by bank transfer within ${opts.dueDays} days, quoting ${invoice.number} as the reference. ${opts.payTo}`.trim() };
    },
  };
}
