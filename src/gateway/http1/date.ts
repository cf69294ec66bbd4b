// The Date field of the fast lane's answers (RFC 9110 §6.6.1), made once a second as node:http does.
let text = '';
let until = 0;

export function httpDate(): string {
  const now = Date.now();
  if (now >= until) {
    text = new Date(now).toUTCString();
    until = now - (now % 1000) + 1000;
  }
  return text;
}
