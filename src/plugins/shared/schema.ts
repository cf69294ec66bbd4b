// Schema pieces shared by the bundled plugins.
import Type, { type TSchema } from 'typebox';
import { SECRET_MARK } from '../../core/config/secret-fields.ts';

export const HeaderNameSchema = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', description: 'An HTTP header name.' });
/** Header values may not contain CR, LF or NUL (no header injection through config). */
export const HeaderValueSchema = Type.String({ pattern: '^[^\\r\\n\\x00]*$', maxLength: 8192 });
export const QueryNameSchema = Type.String({ minLength: 1, maxLength: 256 });
export const QueryValueSchema = Type.String({ maxLength: 8192 });

/**
 * Words that make a header or query parameter name a credential's: Authorization,
 * Proxy-Authorization, X-API-Key, Cookie, access_token, client_secret, password… A value set
 * under such a name is an upstream credential the gateway adds, so it is a secret: sealed at rest
 * in store mode and shown as "(sealed)" (core/config/secret-fields.ts). A name that only looks like
 * one (X-Idempotency-Key) is merely shown sealed too; that errs on the safe side.
 */
const CREDENTIAL_NAME_WORDS = ['auth', 'token', 'secret', 'password', 'passwd', 'passphrase', 'key', 'cookie', 'session', 'signature', 'credential'] as const;

/** Matches a name containing one of CREDENTIAL_NAME_WORDS, in any case (JSON Schema patterns have no flags). */
const CREDENTIAL_NAME_PATTERN = CREDENTIAL_NAME_WORDS.map((word) => [...word].map((c) => /[a-z]/.test(c) ? `[${c.toUpperCase()}${c}]` : c).join('')).join('|');

/**
 * A map of names to values (headers or query parameters a plugin sets) whose values under
 * credential names are secrets. The name pattern and the value rules are those of `name` and
 * `value`; a credential name matches both of its patterns, so its value is checked by both.
 */
export function mapWithCredentials(name: TSchema & { pattern?: string }, value: TSchema, options: { default?: unknown; additionalProperties?: boolean } = {}) {
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    patternProperties: {
      [name.pattern ?? '^.*$']: value,
      [CREDENTIAL_NAME_PATTERN]: { ...value, [SECRET_MARK]: true },
    },
    ...options,
  });
}
