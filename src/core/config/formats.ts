// String formats used by the schemas, each with the message a user sees when a value fails it.
import { Format } from 'typebox/format';

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '' && url.hash === '' && url.search === '';
}

export const FORMAT_MESSAGES: Record<string, string> = {
  'http-url': 'must be an http(s) URL without credentials, query or fragment',
  'cidr': 'must be an IPv4 or IPv6 address or CIDR block',
  'date-time': 'must be an RFC 3339 date-time, e.g. 2027-01-31T12:00:00Z',
};

let registered = false;
export function registerFormats(): void {
  if (registered) return;
  registered = true;
  Format.Set('http-url', isHttpUrl);
}
