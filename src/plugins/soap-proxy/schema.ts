import Type from 'typebox';

/**
 * soap-proxy takes its settings from the service's `soap` section (operations, versions, body
 * cap); the instance config only tunes the XML limits. Routes of a soap service get an instance
 * automatically (see compileChains), so most configs never name this plugin.
 */
export const SoapProxySchema = Type.Object({
  max_depth: Type.Integer({ minimum: 4, maximum: 256, default: 64, description: 'Deepest element nesting accepted in an envelope.' }),
  max_elements: Type.Integer({ minimum: 8, maximum: 1_000_000, default: 10_000, description: 'Most elements in one envelope.' }),
  max_attributes: Type.Integer({ minimum: 1, maximum: 1024, default: 64, description: 'Most attributes on one element.' }),
  max_attribute_length: Type.Integer({ minimum: 16, maximum: 1024 * 1024, default: 8192, description: 'Longest attribute value (characters).' }),
  max_text_length: Type.Integer({ minimum: 16, maximum: 64 * 1024 * 1024, default: 256 * 1024, description: 'Longest text run between tags (characters).' }),
}, { additionalProperties: false });
