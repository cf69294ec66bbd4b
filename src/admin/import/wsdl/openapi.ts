// The OpenAPI 3.1 document of a WSDL import's REST face (the mediated routes), stored beside the
// WSDL so the portal documents both: each operation a POST taking and returning JSON whose schema
// follows the XSD types (the same conversion soap-mediation applies).
import type { ElementModelConfig } from '../../../plugins/soap-mediation/schema.ts';
import { jsonTypeOf } from '../../../plugins/soap-mediation/to-xml.ts';
import type { WsdlPlan } from './plan.ts';

type Schema = Record<string, unknown>;

function itemSchema(m: ElementModelConfig): Schema {
  let s: Schema;
  if (m.fields !== undefined) {
    const fields = m.fields as ElementModelConfig[];
    const required = fields.filter((f) => f.min_occurs > 0).map((f) => f.name);
    s = { type: 'object', additionalProperties: false, properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])), ...(required.length > 0 ? { required } : {}) };
  } else {
    s = { type: jsonTypeOf(m.type), ...(m.enumeration !== undefined ? { enum: m.enumeration } : {}), ...(m.type === 'date' ? { format: 'date' } : m.type === 'dateTime' ? { format: 'date-time' } : {}), 'x-xsd-type': m.type };
  }
  return m.nillable ? { anyOf: [s, { type: 'null' }] } : s;
}

function fieldSchema(m: ElementModelConfig): Schema {
  if (m.max_occurs === 1) return itemSchema(m);
  return { type: 'array', items: itemSchema(m), ...(m.min_occurs > 0 ? { minItems: m.min_occurs } : {}), ...(m.max_occurs > 1 ? { maxItems: m.max_occurs } : {}) };
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

export function restFaceOpenApi(plan: WsdlPlan, title: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const op of plan.binding.operations) {
    const path = plan.restPaths.get(op.name);
    if (path === undefined) continue;
    paths[path] = {
      post: {
        operationId: op.name,
        summary: op.documentation || `${op.name} (SOAP operation)`,
        requestBody: { required: true, content: { 'application/json': { schema: itemSchema(op.request) } } },
        responses: {
          200: { description: `The ${op.response.name} element as JSON.`, content: { 'application/json': { schema: itemSchema(op.response) } } },
          400: problem('The body does not match the operation (soap-mediation-invalid, with errors), or the service answered a Client/Sender fault (soap-fault-client).'),
          502: problem('The service answered a Server/Receiver fault (soap-fault-server) or an invalid response.'),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: `${title} (REST face)`, version: '1.0.0', description: `JSON face of the SOAP service ${plan.service.name}, mediated by Portcullis (docs/soap.md).` },
    paths,
    components: { schemas: { Problem: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' }, request_id: { type: 'string' } } } } },
  };
}
