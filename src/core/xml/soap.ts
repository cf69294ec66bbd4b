// SOAP 1.1 and 1.2 on top of the safe XML module: which version a request speaks, the action it
// declares, its envelope's parts, faults (reading an upstream's, writing the gateway's own).
// Pure: shared by the soap-proxy and soap-mediation plugins and the gateway's fault answers.
import { childrenNamed, firstChild, type XmlElement } from './tree.ts';
import { writeXml, type XmlNode } from './write.ts';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export type SoapVersion = '1.1' | '1.2';

export const SOAP_CONTENT_TYPE: Readonly<Record<SoapVersion, string>> = { '1.1': 'text/xml; charset=utf-8', '1.2': 'application/soap+xml; charset=utf-8' };
export const ENVELOPE_NS: Readonly<Record<SoapVersion, string>> = { '1.1': SOAP11_NS, '1.2': SOAP12_NS };

/** The media type without parameters, lower-cased. */
function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** The SOAP version a Content-Type announces: text/xml is 1.1, application/soap+xml is 1.2. */
export function soapVersionOf(contentType: string | undefined): SoapVersion | undefined {
  const type = mediaType(contentType);
  return type === 'text/xml' ? '1.1' : type === 'application/soap+xml' ? '1.2' : undefined;
}

/** The SOAP 1.2 `action` parameter of a Content-Type (quotes removed). */
const ACTION_PARAMETER = /;\s*action\s*=\s*("([^"]*)"|[^;\s]*)/i;

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/**
 * The action a request declares: SOAPAction (1.1) or the Content-Type's action parameter (1.2).
 * Undefined when none is declared; "" (an empty SOAPAction) counts as none.
 */
export function declaredAction(headers: { readonly [name: string]: string | string[] | undefined }): string | undefined {
  return declaredActionOf(first(headers.soapaction), first(headers['content-type']));
}

/** declaredAction from the two header values (no object to build on the routing path). */
export function declaredActionOf(soapAction: string | undefined, contentType: string | undefined): string | undefined {
  if (soapAction !== undefined) {
    const v = unquote(soapAction);
    if (v !== '') return v;
  }
  if (contentType !== undefined && soapVersionOf(contentType) === '1.2') {
    const m = ACTION_PARAMETER.exec(contentType);
    const action = m === null ? undefined : (m[2] ?? m[1]);
    if (action !== undefined && action !== '') return action;
  }
  return undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export interface SoapOperationRef {
  readonly name: string;
  readonly action: string;
}

/** The operation an action names: by its exact action URI, else by name (a bare or trailing "/Name"). */
export function operationForAction(operations: readonly SoapOperationRef[], action: string): SoapOperationRef | undefined {
  return operations.find((o) => o.action !== '' && o.action === action) ?? operations.find((o) => o.name === action || action.endsWith(`/${o.name}`) || action.endsWith(`#${o.name}`));
}

export interface Envelope {
  readonly version: SoapVersion;
  readonly header: XmlElement | undefined;
  readonly body: XmlElement;
  /** The first element in Body: the operation (request) or its response, or a Fault. */
  readonly payload: XmlElement | undefined;
}

/** Reads an Envelope; a string says what is wrong (safe to show: it quotes nothing from the document). */
export function readEnvelope(root: XmlElement): Envelope | string {
  const version: SoapVersion | undefined = root.ns === SOAP11_NS ? '1.1' : root.ns === SOAP12_NS ? '1.2' : undefined;
  if (root.local !== 'Envelope' || version === undefined) return 'the document is not a SOAP 1.1 or 1.2 Envelope';
  const ns = ENVELOPE_NS[version];
  const bodies = childrenNamed(root, ns, 'Body');
  if (bodies.length !== 1) return 'a SOAP Envelope needs exactly one Body';
  const header = firstChild(root, ns, 'Header');
  return { version, header, body: bodies[0]!, payload: bodies[0]!.children[0] };
}

export interface SoapFault {
  /** Client/Server (1.1) or Sender/Receiver (1.2), or another code's local name. */
  readonly code: string;
  /** The fault string (1.1) or first Reason text (1.2). */
  readonly message: string;
  /** Whether the fault blames the request (Client, Sender) rather than the service. */
  readonly clientFault: boolean;
}

/** The fault in a Body, if its payload is one. */
export function faultOf(env: Envelope): SoapFault | undefined {
  const p = env.payload;
  const ns = ENVELOPE_NS[env.version];
  if (p === undefined || p.local !== 'Fault' || p.ns !== ns) return undefined;
  let code: string;
  let message: string;
  if (env.version === '1.1') {
    code = localPart(p.children.find((c) => c.local === 'faultcode')?.text ?? '');
    message = p.children.find((c) => c.local === 'faultstring')?.text ?? '';
  } else {
    code = localPart(firstChild(firstChild(p, ns, 'Code') ?? p, ns, 'Value')?.text ?? '');
    message = firstChild(firstChild(p, ns, 'Reason') ?? p, ns, 'Text')?.text ?? '';
  }
  // "Client.Authentication" style subcodes (1.1) keep their leading class.
  const head = code.split('.', 1)[0]!;
  return { code, message: message.trim(), clientFault: head === 'Client' || head === 'Sender' };
}

function localPart(qname: string): string {
  const t = qname.trim();
  const colon = t.indexOf(':');
  return colon === -1 ? t : t.slice(colon + 1);
}

/** An Envelope around body (and optional header) content, with the version's namespace as prefix "soap". */
export function writeEnvelope(version: SoapVersion, body: readonly XmlNode[], header?: readonly XmlNode[]): string {
  const children: XmlNode[] = [];
  if (header !== undefined && header.length > 0) children.push({ name: 'soap:Header', children: header });
  children.push({ name: 'soap:Body', children: body });
  return `<?xml version="1.0" encoding="utf-8"?>${writeXml({ name: 'soap:Envelope', attributes: { 'xmlns:soap': ENVELOPE_NS[version] }, children })}`;
}

/**
 * A fault of the gateway's own, in the client's SOAP version. `clientFault` picks Client/Sender or
 * Server/Receiver; `code` (a problem code) goes in the detail so clients can tell causes apart.
 */
export function writeFault(version: SoapVersion, clientFault: boolean, message: string, code: string): string {
  const detail: XmlNode = { name: 'gw:problem', attributes: { 'xmlns:gw': 'https://portcullis.dev/problems/' }, children: [code] };
  if (version === '1.1') {
    return writeEnvelope(version, [{ name: 'soap:Fault', children: [
      { name: 'faultcode', children: [clientFault ? 'soap:Client' : 'soap:Server'] },
      { name: 'faultstring', children: [message] },
      { name: 'detail', children: [detail] },
    ] }]);
  }
  return writeEnvelope(version, [{ name: 'soap:Fault', children: [
    { name: 'soap:Code', children: [{ name: 'soap:Value', children: [clientFault ? 'soap:Sender' : 'soap:Receiver'] }] },
    { name: 'soap:Reason', children: [{ name: 'soap:Text', attributes: { 'xml:lang': 'en' }, children: [message] }] },
    { name: 'soap:Detail', children: [detail] },
  ] }]);
}
