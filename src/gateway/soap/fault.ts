// The gateway's own errors as SOAP faults, for SOAP clients of a soap service: a client that sent
// an envelope can parse a Fault, not problem+json. Same HTTP status and headers as the problem
// (so 401, 413, 429 + Retry-After keep their meaning); the problem code is in the fault's detail.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ERRORS, type ErrorCode } from '../../core/errors/registry.ts';
import { SOAP_CONTENT_TYPE, soapVersionOf, writeFault, type SoapVersion } from '../../core/xml/soap.ts';
import { sendErrorBody, type ReplyOptions } from '../respond.ts';

/** The SOAP version to answer a gateway error in, or undefined for problem+json. */
export function soapClientVersion(protocol: string | undefined, headers: IncomingHttpHeaders): SoapVersion | undefined {
  if (protocol !== 'soap') return undefined;
  return soapVersionOf(headers['content-type']);
}

/** Sends the problem as a fault; returns the body size. */
export function sendSoapFault(res: ServerResponse, version: SoapVersion, code: ErrorCode, opts: ReplyOptions, detail?: string, extraHeaders?: Record<string, string>): number {
  const def = ERRORS[code];
  const body = writeFault(version, def.status < 500, detail ?? def.detail, code);
  return sendErrorBody(res, def.status, SOAP_CONTENT_TYPE[version], body, opts, extraHeaders);
}
