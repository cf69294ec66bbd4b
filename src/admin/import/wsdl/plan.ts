// A parsed WSDL → the config fragment it becomes: a soap service (targets from soap:address, its
// operations), a proxy route for SOAP clients, and optionally one REST route per operation with
// soap-mediation. Pure, so a re-import of the same WSDL is a no-op.
import type { SoapVersion } from '../../../core/xml/soap.ts';
import { importProblem, OpenApiImportError } from '../errors.ts';
import { isValidName, isValidTag, kebab, truncate, UniqueNames } from '../names.ts';
import { explicitUpstream } from '../upstream.ts';
import type { ParsedWsdl, WsdlBinding, WsdlOperation } from './parse.ts';

/** Tag on everything a WSDL import creates. */
export const WSDL_IMPORT_TAG = 'wsdl';

export interface WsdlPlanOptions {
  /** Service name; default: a slug of the wsdl:service name. */
  readonly serviceName?: string;
  /** Upstream endpoint URL (http(s)://host[:port]/path); default: the port's soap:address. */
  readonly upstream?: string;
  /** Binding to use; default 1.1 when the WSDL has one, else 1.2. */
  readonly soapVersion?: SoapVersion;
  /** Path of the proxy route, and the prefix of the REST routes; default "/<service>". */
  readonly pathPrefix?: string;
  /** Add one REST (JSON) route per operation, mediated by soap-mediation. */
  readonly rest?: boolean;
  readonly tags?: readonly string[];
}

export interface WsdlPlan {
  readonly service: Record<string, unknown> & { readonly name: string };
  readonly routes: readonly (Record<string, unknown> & { readonly name: string })[];
  readonly binding: WsdlBinding;
  /** Operation name → REST route path (when rest). */
  readonly restPaths: ReadonlyMap<string, string>;
  readonly warnings: readonly string[];
}

export function planWsdlImport(wsdl: ParsedWsdl, opts: WsdlPlanOptions = {}): WsdlPlan {
  const problems: string[] = [];
  const warnings = [...wsdl.warnings];
  const version: SoapVersion = opts.soapVersion ?? (wsdl.bindings.has('1.1') ? '1.1' : '1.2');
  const binding = wsdl.bindings.get(version);
  if (binding === undefined) throw importProblem(`soapVersion: the WSDL has no SOAP ${version} binding (it has ${[...wsdl.bindings.keys()].join(', ')})`);
  const name = opts.serviceName ?? (truncate(kebab(wsdl.name), 100) || 'soap-service');
  if (!isValidName(name)) problems.push(`serviceName: "${name}" is not a valid name (letters, digits, ".", "_", "-")`);
  const prefix = opts.pathPrefix ?? `/${name}`;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) problems.push(`pathPrefix: "${prefix}" must be a literal path like /calculator`);
  const tags = [...new Set([WSDL_IMPORT_TAG, ...(opts.tags ?? [])])];
  for (const t of tags) if (!isValidTag(t)) problems.push(`tags: "${t}" is not a valid tag`);
  const address = opts.upstream ?? binding.address;
  if (address === undefined) problems.push('upstream: the WSDL port has no soap:address; give the upstream URL');
  if (binding.operations.length === 0) problems.push(`the SOAP ${version} binding has no request-response operation`);
  for (const op of binding.operations) if (!/^[A-Za-z_][A-Za-z0-9._-]{0,127}$/.test(op.name)) problems.push(`operation "${op.name.slice(0, 64)}": not usable as an operation name`);
  if (problems.length > 0) throw new OpenApiImportError(problems);
  const upstream = explicitUpstream(address!);
  const service = {
    name,
    protocol: 'soap',
    targets: [{ url: upstream.target }],
    path: upstream.path || '/',
    soap: {
      versions: [...wsdl.bindings.keys()].sort(),
      operations: binding.operations.map((o) => ({ name: o.name, action: o.action })),
    },
    tags,
  };
  const names = new UniqueNames();
  names.take(`${name}.soap`);
  const routes: (Record<string, unknown> & { name: string })[] = [{
    name: `${name}.soap`,
    service: name,
    paths: [`=${prefix}`],
    methods: ['POST', 'GET'],
    strip_path: true,
    tags,
  }];
  const restPaths = new Map<string, string>();
  if (opts.rest === true) {
    for (const op of binding.operations) {
      const path = `${prefix}/${kebab(op.name) || 'operation'}`;
      restPaths.set(op.name, path);
      routes.push({
        name: names.take(`${name}.${kebab(op.name) || 'operation'}`),
        service: name,
        paths: [`=${path}`],
        methods: ['POST'],
        tags: [...tags, 'rest'],
        plugins: [{ name: 'soap-mediation', config: mediationConfig(op, version) }],
      });
    }
  }
  return { service, routes, binding, restPaths, warnings };
}

export function mediationConfig(op: WsdlOperation, version: SoapVersion): Record<string, unknown> {
  return { operation: op.name, soap_version: version, action: op.action, request: op.request, response: op.response };
}
