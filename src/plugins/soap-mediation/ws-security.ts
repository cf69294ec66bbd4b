// WS-Security UsernameToken (OASIS WSS 1.0 UsernameToken Profile) for the upstream: a fresh nonce
// and timestamp per request; PasswordDigest = Base64(SHA-1(nonce + created + password)), so the
// password itself never crosses the wire.
import { createHash, randomBytes } from 'node:crypto';
import type { XmlNode } from '../../core/xml/index.ts';
import type { SoapVersion } from '../../core/xml/soap.ts';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
const BASE64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export interface UsernameTokenSettings {
  readonly username: string;
  readonly password: string;
  readonly passwordType: 'PasswordDigest' | 'PasswordText';
}

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

/** The wsse:Security header block (the envelope declares the "soap" prefix). */
export function securityHeader(s: UsernameTokenSettings, version: SoapVersion, now: Date = new Date(), nonce: Buffer = randomBytes(16)): XmlNode {
  const created = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const password = s.passwordType === 'PasswordDigest' ? passwordDigest(nonce, created, s.password) : s.password;
  return {
    name: 'wsse:Security',
    attributes: { 'xmlns:wsse': WSSE_NS, 'xmlns:wsu': WSU_NS, 'soap:mustUnderstand': version === '1.1' ? '1' : 'true' },
    children: [{
      name: 'wsse:UsernameToken',
      children: [
        { name: 'wsse:Username', children: [s.username] },
        { name: 'wsse:Password', attributes: { Type: `${PROFILE}#${s.passwordType}` }, children: [password] },
        { name: 'wsse:Nonce', attributes: { EncodingType: BASE64 }, children: [nonce.toString('base64')] },
        { name: 'wsu:Created', children: [created] },
      ],
    }],
  };
}
