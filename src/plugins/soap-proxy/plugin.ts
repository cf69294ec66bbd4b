// soap-proxy: SOAP requests checked before they reach a SOAP service (content type, XML safety,
// envelope, operation). The body is forwarded byte for byte. Answers are problems; the gateway
// sends them to SOAP clients as SOAP faults of their version (src/gateway/soap/).
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { DEFAULT_XML_LIMITS } from '../../core/xml/index.ts';
import { checkSoapRequest, type SoapRules } from './check.ts';
import { SoapCounts } from './metrics.ts';
import { SoapProxySchema } from './schema.ts';

interface SoapProxyConf extends SoapRules {
  readonly maxBodyBytes: number;
  readonly counts: SoapCounts;
}

/** ctx.vars key holding the checked request's operation name (for logs and later plugins). */
export const SOAP_OPERATION_VAR = 'soapOperation';

export const soapProxy = definePlugin<typeof SoapProxySchema, SoapProxyConf>({
  name: 'soap-proxy',
  version: '1.0.0',
  description: 'Checks SOAP 1.1/1.2 requests to a soap service (XML safety limits, envelope, operation and action) before forwarding them unchanged.',
  priority: 994,
  scopes: ['service', 'route'],
  configSchema: SoapProxySchema,
  compile(c, env) {
    const soap = env.serviceConfig?.soap;
    if (env.serviceConfig?.protocol !== 'soap' || soap === undefined) return 'soap-proxy needs a service with protocol "soap" and a "soap" section';
    return {
      versions: new Set(soap.versions),
      operations: soap.operations,
      byName: new Map(soap.operations.map((o) => [o.name, o])),
      requireAction: soap.require_action,
      maxBodyBytes: soap.max_body_bytes,
      counts: new SoapCounts(env.serviceConfig.name),
      limits: Object.freeze({
        ...DEFAULT_XML_LIMITS,
        maxBytes: soap.max_body_bytes,
        maxDepth: c.max_depth,
        maxElements: c.max_elements,
        maxAttributes: c.max_attributes,
        maxAttributeLength: c.max_attribute_length,
        maxTextLength: c.max_text_length,
      }),
    };
  },
  requestBodyLimit: (conf) => conf.maxBodyBytes,
  handlers: {
    access(ctx, conf) {
      // GET and HEAD (a "?wsdl" fetch, the SOAP 1.2 response MEP) carry no envelope: forwarded as they are.
      if (ctx.method === 'GET' || ctx.method === 'HEAD') return undefined;
      const checked = checkSoapRequest(ctx.headers, ctx.requestBody, conf);
      if (!checked.ok) {
        conf.counts.count(checked.operation, checked.problem);
        return { problem: checked.problem, detail: checked.detail };
      }
      conf.counts.count(checked.operation, 'forwarded');
      ctx.vars[SOAP_OPERATION_VAR] = checked.operation;
      return undefined;
    },
  },
});
