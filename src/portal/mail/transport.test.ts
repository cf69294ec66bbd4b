// The mail transports: `log` writes one structured line with the link; `smtp` speaks SMTP through
// nodemailer to a small SMTP receiver written here (a real socket and protocol exchange).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { verifyEmailMessage } from './messages.ts';
import { LogMailTransport, SmtpMailTransport, createMailTransport } from './transport.ts';

test('log: one structured line per message, with the link', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _e, done) { lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>); done(); } });
  const mail = createMailTransport({ transport: 'log' }, pino({ level: 'info' }, sink));
  assert.ok(mail instanceof LogMailTransport);
  await mail.send(verifyEmailMessage('dev@example.com', 'https://portal.example/verify-email?token=abc'));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.log, 'portal.mail');
  assert.deepEqual(lines[0]!.mail, { kind: 'verify-email', to: 'dev@example.com', subject: 'Confirm your email address', link: 'https://portal.example/verify-email?token=abc' });
});

/** An SMTP receiver that accepts every message and keeps what it was sent. */
async function smtpReceiver(): Promise<{ port: number; messages: { from: string; to: string[]; data: string }[]; close(): Promise<void> }> {
  const messages: { from: string; to: string[]; data: string }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let current = { from: '', to: [] as string[], data: '' };
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          messages.push(current);
          current = { from: '', to: [], data: '' };
          inData = false;
          socket.write('250 queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-test\r\n250 8BITMIME\r\n');
        else if (verb === 'MAIL') { current.from = line; socket.write('250 ok\r\n'); }
        else if (verb === 'RCPT') { current.to.push(line); socket.write('250 ok\r\n'); }
        else if (verb === 'DATA') { inData = true; socket.write('354 go on\r\n'); }
        else if (verb === 'QUIT') { socket.end('221 bye\r\n'); return; }
        else socket.write('250 ok\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, messages, close: () => new Promise((resolve) => { server.close(() => resolve()); for (const s of sockets) s.destroy(); }) };
}

test('smtp: the message reaches an SMTP server with its recipient, subject and link', async () => {
  const receiver = await smtpReceiver();
  const mail = createMailTransport({ transport: 'smtp', url: `smtp://127.0.0.1:${receiver.port}?ignoreTLS=true`, from: 'Portal <portal@example.com>' }, pino({ level: 'silent' }));
  assert.ok(mail instanceof SmtpMailTransport);
  try {
    await mail.send(verifyEmailMessage('dev@example.com', 'https://portal.example/verify-email?token=abc'));
    assert.equal(receiver.messages.length, 1);
    const [m] = receiver.messages;
    assert.match(m!.from, /<portal@example\.com>/);
    assert.deepEqual(m!.to.map((t) => /<([^>]+)>/.exec(t)?.[1]), ['dev@example.com']);
    assert.match(m!.data, /^Subject: Confirm your email address\r$/m);
    // The body may be quoted-printable: soft line breaks and "=3D" for "=".
    const body = m!.data.replace(/=\r\n/g, '').replace(/=3D/g, '=');
    assert.ok(body.includes('https://portal.example/verify-email?token=abc'), m!.data);
  } finally {
    await mail.close();
    await receiver.close();
  }
});
