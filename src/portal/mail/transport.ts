// How the portal's mail leaves the node. Pluggable: `log` writes each message as one structured
// log line (development and tests: the link is read from the log, nothing is sent), `smtp` sends
// through nodemailer. Messages are plain text with one link; the portal never mails a password.
import { createTransport, type Transporter } from 'nodemailer';
import type { Logger } from '../../telemetry/logger.ts';
import type { MailSettings } from '../settings.ts';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The one action link the message carries (verification, reset, invitation), if any. */
  readonly link?: string;
  /** What the message is for (verify-email, reset-password, invite, account-exists…): for logs and tests. */
  readonly kind: string;
}

export interface MailTransport {
  readonly name: string;
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** Development and tests: the message is a log line (`portal.mail`), the link in it. */
export class LogMailTransport implements MailTransport {
  readonly name = 'log';
  readonly #logger: Logger;
  constructor(logger: Logger) {
    this.#logger = logger;
  }
  async send(message: MailMessage): Promise<void> {
    this.#logger.info({ log: 'portal.mail', mail: { kind: message.kind, to: message.to, subject: message.subject, ...(message.link ? { link: message.link } : {}) } }, `portal mail (${message.kind}) to ${message.to} — not sent, PORTCULLIS_PORTAL_MAIL=log`);
  }
  async close(): Promise<void> { /* nothing held */ }
}

export class SmtpMailTransport implements MailTransport {
  readonly name = 'smtp';
  readonly #transporter: Transporter;
  readonly #from: string;
  constructor(url: string, from: string) {
    // Timeouts keep a hung mail server from holding a portal request for minutes.
    this.#transporter = createTransport(url, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as never);
    this.#from = from;
  }
  async send(message: MailMessage): Promise<void> {
    await this.#transporter.sendMail({ from: this.#from, to: message.to, subject: message.subject, text: message.text });
  }
  async close(): Promise<void> {
    this.#transporter.close();
  }
}

export function createMailTransport(settings: MailSettings, logger: Logger): MailTransport {
  return settings.transport === 'smtp' ? new SmtpMailTransport(settings.url, settings.from) : new LogMailTransport(logger);
}
