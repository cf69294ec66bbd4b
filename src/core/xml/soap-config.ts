// The SOAP parts of a config, checked and compiled at snapshot time: a soap service must say
// which operations it offers; a route's `soap_operations` must name some of them and becomes a
// router condition on the operation the request declares (SOAPAction / the SOAP 1.2 action).
import type { ConfigIssue } from '../config/errors.ts';
import { pointerToPath } from '../config/errors.ts';
import type { Config, ServiceConfig } from '../config/schema.ts';
import type { HeaderSource } from '../router/router.ts';
import { declaredActionOf, operationForAction } from './soap.ts';

export function checkSoapConfig(config: Config, issues: ConfigIssue[]): void {
  const at = (pointer: string, message: string) => issues.push({ pointer, path: pointerToPath(pointer), message });
  const services = new Map(config.services.map((s) => [s.name, s]));
  config.services.forEach((s, i) => {
    if (s.protocol === 'soap' && s.soap === undefined) at(`/services/${i}`, 'a soap service needs a "soap" section listing its operations');
    if (s.protocol !== 'soap' && s.soap !== undefined) at(`/services/${i}/soap`, 'only a service with protocol "soap" takes a "soap" section');
    const seen = new Set<string>();
    s.soap?.operations.forEach((o, j) => {
      if (seen.has(o.name)) at(`/services/${i}/soap/operations/${j}/name`, `operation "${o.name}" is listed twice`);
      seen.add(o.name);
    });
  });
  config.routes.forEach((r, i) => {
    if (r.soap_operations === undefined) return;
    const service = services.get(r.service);
    if (service === undefined) return; // reported elsewhere
    if (service.soap === undefined) {
      at(`/routes/${i}/soap_operations`, `service "${r.service}" is not a soap service`);
      return;
    }
    const known = new Set(service.soap.operations.map((o) => o.name));
    r.soap_operations.forEach((name, j) => {
      if (!known.has(name)) at(`/routes/${i}/soap_operations/${j}`, `service "${r.service}" has no operation "${name}" (it has: ${[...known].join(', ')})`);
    });
  });
}

/** The router condition of a route limited to some operations of its soap service. */
export function operationCondition(service: ServiceConfig | undefined, operations: readonly string[]): (header: HeaderSource) => boolean {
  const allowed = new Set(operations);
  const ops = service?.soap?.operations ?? [];
  return (header) => {
    const action = declaredActionOf(first(header('soapaction')), first(header('content-type')));
    if (action === undefined) return false;
    const op = operationForAction(ops, action);
    return op !== undefined && allowed.has(op.name);
  };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
