import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials, FormError, parseForm } from './form.ts';

const form = (text: string) => parseForm('application/x-www-form-urlencoded; charset=UTF-8', Buffer.from(text));
const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

test('form bodies: empty values are omitted, repeats and other media types refused', () => {
  assert.deepEqual([...form('grant_type=client_credentials&scope=&x=a+b%2Fc')], [['grant_type', 'client_credentials'], ['x', 'a b/c']]);
  assert.throws(() => form('a=1&a=2'), FormError);
  assert.throws(() => parseForm('application/json', Buffer.from('{}')), FormError);
  assert.deepEqual([...parseForm(undefined, Buffer.alloc(0))], [], 'no body at all is an empty form');
});

test('client_secret_basic: id and secret are form-decoded (RFC 6749 §2.3.1); malformed headers are no credentials', () => {
  assert.deepEqual(clientCredentials(basic('pc_client_a:s%3Acret+x'), new Map()), { clientId: 'pc_client_a', clientSecret: 's:cret x', method: 'client_secret_basic' });
  assert.deepEqual(clientCredentials(`basic   ${Buffer.from('id:pw').toString('base64')}`, new Map())?.clientSecret, 'pw', 'the scheme is case-insensitive');
  assert.equal(clientCredentials(basic('no-colon'), new Map()), undefined);
  assert.equal(clientCredentials(basic(':secret-only'), new Map()), undefined);
  assert.equal(clientCredentials(basic('id:%E0%A4%A'), new Map()), undefined, 'a broken escape');
  assert.equal(clientCredentials('Bearer abc', new Map()), undefined, 'another scheme');
  assert.throws(() => clientCredentials(basic('id:pw'), new Map([['client_id', 'id']])), FormError, 'two methods at once');
});

test('client_secret_post: both parameters needed', () => {
  assert.deepEqual(clientCredentials(undefined, new Map([['client_id', 'a'], ['client_secret', 'b']])), { clientId: 'a', clientSecret: 'b', method: 'client_secret_post' });
  assert.equal(clientCredentials(undefined, new Map([['client_id', 'a']])), undefined);
  assert.equal(clientCredentials(undefined, new Map()), undefined);
});
