// soap-mediation: a REST JSON face on one SOAP operation. The JSON body becomes the operation's
// envelope (access phase, buffered body replaced), the envelope that comes back becomes JSON
// (response-body phase), and SOAP faults become problem+json (docs/soap.md#mediation).
import { problemJson } from '../../core/errors/problem.ts';
import { ERRORS, type ErrorCode } from '../../core/errors/registry.ts';
import { removeHeader, type RequestContext } from '../../core/pipeline/context.ts';
import { definePlugin } from '../../core/pipeline/plugin.ts';
import { DEFAULT_XML_LIMITS, parseXml, type XmlLimits } from '../../core/xml/index.ts';
import { faultOf, readEnvelope, SOAP_CONTENT_TYPE, writeEnvelope, type SoapVersion } from '../../core/xml/soap.ts';
import { compileElement, type ElementModel } from './model.ts';
import { SoapMediationSchema } from './schema.ts';
import { requestElement } from './to-xml.ts';
import { responseJson } from './to-json.ts';
import { securityHeader, type UsernameTokenSettings } from './ws-security.ts';
import { SoapCounts } from '../soap-proxy/metrics.ts';

/** Largest SOAP response mediated (a larger declared one is refused as soap-response-invalid). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

interface SoapMediationConf {
  readonly operation: string;
  readonly version: SoapVersion;
  readonly action: string;
  readonly request: ElementModel;
  readonly response: ElementModel;
  readonly security: UsernameTokenSettings | undefined;
  readonly maxBodyBytes: number;
  /** The SOAP endpoint's path (the service's path): mediated requests go there whatever the route path. */
  readonly endpointPath: string;
  readonly responseLimits: XmlLimits;
  readonly counts: SoapCounts;
}

const CONTENT_TYPE = { '1.1': SOAP_CONTENT_TYPE['1.1'], '1.2': SOAP_CONTENT_TYPE['1.2'] } as const;

export const soapMediation = definePlugin<typeof SoapMediationSchema, SoapMediationConf>({
  name: 'soap-mediation',
  version: '1.0.0',
  description: 'Mediates REST to SOAP: a JSON body becomes the operation’s SOAP envelope (typed by the WSDL), the SOAP response becomes JSON and faults become problem+json; optional WS-Security UsernameToken.',
  priority: 993,
  scopes: ['route'],
  configSchema: SoapMediationSchema,
  responseBodyLimit: MAX_RESPONSE_BYTES,
  compile(c, env) {
    const request = compileElement(c.request, '/request');
    if (typeof request === 'string') return request;
    if (request.fields === undefined) return '/request: mediation needs a complex request element (fields), the members of the JSON body';
    const response = compileElement(c.response, '/response');
    if (typeof response === 'string') return response;
    return {
      operation: c.operation,
      version: c.soap_version,
      action: c.action,
      request,
      response,
      security: c.ws_security === undefined ? undefined : { username: c.ws_security.username, password: c.ws_security.password, passwordType: c.ws_security.password_type },
      maxBodyBytes: c.max_body_bytes,
      endpointPath: env.serviceConfig?.path ?? '/',
      responseLimits: { ...DEFAULT_XML_LIMITS, maxBytes: MAX_RESPONSE_BYTES },
      counts: new SoapCounts(env.service ?? ''),
    };
  },
  requestBodyLimit: (conf) => conf.maxBodyBytes,
  handlers: {
    access: (ctx, conf) => mediateRequest(ctx, conf),
    'upstream-response'(ctx) {
      const res = ctx.response!;
      const length = Number(res.headers['content-length'] ?? 0);
      if (length > MAX_RESPONSE_BYTES) return { problem: 'soap-response-invalid', detail: 'The SOAP response is too large to mediate.' };
      return undefined;
    },
    'response-body'(ctx, conf, body) {
      return mediateResponse(ctx, conf, body);
    },
  },
});

function mediateRequest(ctx: RequestContext, conf: SoapMediationConf) {
  if (ctx.method !== 'POST') return { problem: 'soap-mediation-invalid' as const, detail: 'Call a mediated SOAP operation with POST and a JSON body.', extensions: { errors: [] } };
  const raw = ctx.requestBody;
  let input: unknown = {};
  if (raw !== undefined && raw.length > 0) {
    try {
      input = JSON.parse(raw.toString('utf8'));
    } catch {
      return { problem: 'soap-mediation-invalid' as const, detail: 'The body is not valid JSON.', extensions: { errors: [{ pointer: '', message: 'is not valid JSON' }] } };
    }
  }
  const built = requestElement(conf.request, input);
  if (!built.ok) {
    conf.counts.count(conf.operation, 'invalid-input');
    return { problem: 'soap-mediation-invalid' as const, extensions: { errors: built.violations } };
  }
  const header = conf.security === undefined ? undefined : [securityHeader(conf.security, conf.version)];
  const envelope = Buffer.from(writeEnvelope(conf.version, [built.node], header), 'utf8');
  ctx.requestBody = envelope;
  const h = ctx.upstream.headers;
  if (conf.version === '1.1') {
    h['content-type'] = CONTENT_TYPE['1.1'];
    h.soapaction = `"${conf.action}"`;
  } else {
    h['content-type'] = conf.action === '' ? CONTENT_TYPE['1.2'] : `${CONTENT_TYPE['1.2']}; action="${conf.action}"`;
    removeHeader(h, 'soapaction');
  }
  h.accept = conf.version === '1.1' ? 'text/xml' : 'application/soap+xml';
  // The body is parsed here: ask for it unencoded.
  h['accept-encoding'] = 'identity';
  removeHeader(h, 'content-encoding');
  removeHeader(h, 'transfer-encoding');
  ctx.upstream.path = conf.endpointPath;
  ctx.upstream.query = '';
  return undefined;
}

/** Replaces the response with JSON (or a problem document), setting status and headers to match. */
function mediateResponse(ctx: RequestContext, conf: SoapMediationConf, body: Buffer): Buffer {
  const res = ctx.response!;
  const answer = (status: number, contentType: string, text: string): Buffer => {
    res.status = status;
    res.headers['content-type'] = contentType;
    removeHeader(res.headers, 'content-encoding');
    return Buffer.from(text, 'utf8');
  };
  const problem = (code: ErrorCode, detail?: string, extensions?: Record<string, unknown>): Buffer => {
    const text = problemJson(code, { ...(detail === undefined ? {} : { detail }), instance: ctx.path, requestId: ctx.id, ...(extensions ? { extensions } : {}) });
    return answer(ERRORS[code].status, 'application/problem+json', text);
  };
  const invalid = (): Buffer => {
    conf.counts.count(conf.operation, 'invalid-response');
    return problem('soap-response-invalid');
  };
  const parsed = parseXml(body, conf.responseLimits);
  if (!parsed.ok) return invalid();
  const env = readEnvelope(parsed.root);
  if (typeof env === 'string') return invalid();
  const fault = faultOf(env);
  if (fault !== undefined) {
    ctx.log.info({ request_id: ctx.id, operation: conf.operation, fault_code: fault.code }, 'soap fault');
    conf.counts.count(conf.operation, fault.clientFault ? 'fault-client' : 'fault-server');
    return problem(fault.clientFault ? 'soap-fault-client' : 'soap-fault-server', undefined, { fault_code: fault.code, fault_string: fault.message });
  }
  const payload = env.payload;
  if (payload === undefined || payload.local !== conf.response.name || res.status >= 400) return invalid();
  conf.counts.count(conf.operation, 'mediated');
  return answer(200, 'application/json', JSON.stringify(responseJson(conf.response, payload)));
}
