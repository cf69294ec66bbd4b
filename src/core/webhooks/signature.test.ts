import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateSecret, secretKey, sign, signatureHeader, verifySignatureHeader, WebhookSecretError } from './signature.ts';

// The Standard Webhooks test vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const EXPECTED = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

test('signs the Standard Webhooks test vector', () => {
  assert.equal(sign(SECRET, ID, TS, BODY), EXPECTED);
  assert.equal(sign(SECRET, ID, TS, Buffer.from(BODY)), EXPECTED);
});

test('a rotation signs with every secret, and either verifies', () => {
  const other = generateSecret();
  const header = signatureHeader([other, SECRET], ID, TS, BODY);
  assert.equal(header.split(' ').length, 2);
  assert.equal(header.split(' ')[1], EXPECTED);
  assert.ok(verifySignatureHeader(header, [secretKey(SECRET)], ID, TS, BODY));
  assert.ok(verifySignatureHeader(header, [secretKey(other)], ID, TS, BODY));
});

test('verification fails on any change to id, timestamp or body, and on foreign schemes', () => {
  const keys = [secretKey(SECRET)];
  assert.ok(verifySignatureHeader(EXPECTED, keys, ID, TS, BODY));
  assert.equal(verifySignatureHeader(EXPECTED, keys, ID + 'x', TS, BODY), false);
  assert.equal(verifySignatureHeader(EXPECTED, keys, ID, TS + 1, BODY), false);
  assert.equal(verifySignatureHeader(EXPECTED, keys, ID, TS, '{"test":2432232314}'), false);
  assert.equal(verifySignatureHeader(EXPECTED.replace('v1,', 'v1a,'), keys, ID, TS, BODY), false);
  assert.equal(verifySignatureHeader('garbage', keys, ID, TS, BODY), false);
  assert.equal(verifySignatureHeader('', keys, ID, TS, BODY), false);
  assert.equal(verifySignatureHeader(EXPECTED, [secretKey(generateSecret())], ID, TS, BODY), false);
});

test('secrets are whsec_ plus 24 to 64 bytes of base64', () => {
  assert.match(generateSecret(), /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(secretKey(generateSecret()).byteLength, 32);
  assert.throws(() => secretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), WebhookSecretError);
  assert.throws(() => secretKey('whsec_c2hvcnQ='), WebhookSecretError);
  assert.throws(() => secretKey('whsec_not base64!'), WebhookSecretError);
  assert.throws(() => secretKey('whsec_' + Buffer.alloc(65).toString('base64')), WebhookSecretError);
});
