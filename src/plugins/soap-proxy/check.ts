// The checks a SOAP request gets before it is forwarded: a SOAP content type of an accepted
// version, a safe and well-formed envelope of that version, and an operation the service offers,
// agreeing with the action the request declares. Pure: the plugin turns the outcome into answers.
import type { ErrorCode } from '../../core/errors/registry.ts';
import type { HeaderMap } from '../../core/pipeline/context.ts';
import { parseXml, type XmlLimits } from '../../core/xml/index.ts';
import { declaredAction, operationForAction, readEnvelope, soapVersionOf, type SoapOperationRef, type SoapVersion } from '../../core/xml/soap.ts';

export interface SoapRules {
  readonly versions: ReadonlySet<SoapVersion>;
  readonly operations: readonly SoapOperationRef[];
  readonly byName: ReadonlyMap<string, SoapOperationRef>;
  readonly requireAction: boolean;
  readonly limits: XmlLimits;
}

export type SoapCheck =
  | { readonly ok: true; readonly operation: string; readonly version: SoapVersion }
  | { readonly ok: false; readonly problem: ErrorCode; readonly detail: string; readonly operation: string };

/** A refusal; `operation` is the service's operation when the Body named a known one, else "". */
const fail = (problem: ErrorCode, detail: string, operation = ''): SoapCheck => ({ ok: false, problem, detail, operation });

function header(headers: Readonly<HeaderMap>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function checkSoapRequest(headers: Readonly<HeaderMap>, body: Buffer | undefined, rules: SoapRules): SoapCheck {
  const version = soapVersionOf(header(headers, 'content-type'));
  if (version === undefined) return fail('soap-invalid-request', 'Send SOAP 1.1 as text/xml or SOAP 1.2 as application/soap+xml.');
  if (!rules.versions.has(version)) return fail('soap-invalid-request', `This service does not accept SOAP ${version}.`);
  if (body === undefined || body.length === 0) return fail('soap-invalid-request', 'The request has no SOAP envelope.');
  const parsed = parseXml(body, rules.limits);
  if (!parsed.ok) return fail(parsed.code, parsed.detail);
  const env = readEnvelope(parsed.root);
  if (typeof env === 'string') return fail('soap-invalid-request', `${env}.`);
  if (env.version !== version) return fail('soap-invalid-request', `The envelope is SOAP ${env.version} but the Content-Type announces SOAP ${version}.`);
  const payload = env.payload;
  if (payload === undefined) return fail('soap-invalid-request', 'The SOAP Body is empty.');
  const byBody = rules.byName.get(payload.local);
  if (byBody === undefined) return fail('soap-unknown-operation', 'The Body names an operation this service does not offer.');
  const action = declaredAction(headers as Record<string, string | string[] | undefined>);
  if (action === undefined) {
    if (rules.requireAction && byBody.action !== '') return fail('soap-action-mismatch', 'Declare the operation: SOAPAction (SOAP 1.1) or the action parameter of the Content-Type (SOAP 1.2).', byBody.name);
  } else {
    const byAction = operationForAction(rules.operations, action);
    if (byAction === undefined) return fail('soap-unknown-operation', 'The declared action names an operation this service does not offer.', byBody.name);
    if (byAction.name !== byBody.name) return fail('soap-action-mismatch', 'The declared action and the operation in the Body differ.', byBody.name);
  }
  return { ok: true, operation: byBody.name, version };
}
