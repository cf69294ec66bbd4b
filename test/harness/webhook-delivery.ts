// A Standard Webhooks delivery to a gateway route that verifies it (webhook-verify on /hooks).
import { createHmac, randomBytes } from 'node:crypto';

/** POSTs a delivery to `${proxyUrl}/hooks` signed with `secret` (whsec_…); resolves with the status. */
export async function deliverSigned(proxyUrl: string, secret: string): Promise<number> {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type: 'ping', id });
  const signature = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');
  const res = await fetch(`${proxyUrl}/hooks`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${signature}` } });
  await res.arrayBuffer();
  return res.status;
}
