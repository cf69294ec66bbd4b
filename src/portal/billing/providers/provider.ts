// The payment-provider interface. Finalisation stores an invoice first, then hands it to the
// provider once (`collect`): a card processor would charge a saved method or create a payment
// link there; the built-in `manual` provider does nothing and waits for an admin to mark the
// invoice paid. `instructions` tells the team how to pay an invoice, on its page.
import type { InvoiceRow } from '../../../store/schema.ts';

export interface PaymentInstructions {
  /** Provider name, e.g. `manual`. */
  readonly provider: string;
  /** Plain text for people: where to send money, what reference to quote. */
  readonly text: string;
  /** A link to pay online, when the provider has one. */
  readonly url?: string;
}

export interface CollectResult {
  /** The provider's own id for the charge or payment link, kept on the invoice. */
  readonly reference?: string;
  /** `paid` when the provider took the money at once; otherwise the invoice stays open. */
  readonly status?: 'open' | 'paid';
}

export interface PaymentProvider {
  readonly name: string;
  /** Called once per invoice after it is stored. A throw leaves the invoice open (and is logged). */
  collect(invoice: InvoiceRow): Promise<CollectResult>;
  /** How to pay this invoice; pure (no network): it is shown on every invoice page view. */
  instructions(invoice: Pick<InvoiceRow, 'number' | 'total_minor' | 'currency' | 'status'>): PaymentInstructions;
}
