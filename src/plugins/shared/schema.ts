// Schema pieces shared by the bundled plugins.
import Type from 'typebox';

export const HeaderNameSchema = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', description: 'An HTTP header name.' });
/** Header values may not contain CR, LF or NUL (no header injection through config). */
export const HeaderValueSchema = Type.String({ pattern: '^[^\\r\\n\\x00]*$', maxLength: 8192 });
export const QueryNameSchema = Type.String({ minLength: 1, maxLength: 256 });
export const QueryValueSchema = Type.String({ maxLength: 8192 });
