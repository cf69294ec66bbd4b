// WSDL 1.1 → the operations of one SOAP binding, with their request and response element models
// (what soap-mediation's config holds). XML goes through the safe parser. Supported: SOAP 1.1 and
// 1.2 bindings, document/literal (part element=) and rpc/literal (part type=), inline XSD schemas
// with top-level and nested elements, named and anonymous complexType sequence/all (complexContent
// extension included), simpleType restrictions (base + enumeration), element refs, minOccurs,
// maxOccurs and nillable. Anything else is a warning, never a crash.
import { childrenNamed, firstChild, parseXml, resolveQName, WSDL_XML_LIMITS, type XmlElement } from '../../../core/xml/index.ts';
import type { SoapVersion } from '../../../core/xml/soap.ts';
import { XSD_TYPES, type ElementModelConfig, type XsdType } from '../../../plugins/soap-mediation/schema.ts';
import { importProblem } from '../errors.ts';

export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
const SOAP11_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
const SOAP12_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const MAX_TYPE_DEPTH = 24;

export interface WsdlOperation {
  readonly name: string;
  readonly action: string;
  readonly documentation: string;
  readonly request: ElementModelConfig;
  readonly response: ElementModelConfig;
}

export interface WsdlBinding {
  readonly version: SoapVersion;
  /** soap:address location of the port using this binding. */
  readonly address: string | undefined;
  readonly operations: readonly WsdlOperation[];
}

export interface ParsedWsdl {
  /** The wsdl:service name (or definitions name). */
  readonly name: string;
  readonly targetNamespace: string;
  /** One per SOAP version found (the first port of that version wins). */
  readonly bindings: ReadonlyMap<SoapVersion, WsdlBinding>;
  readonly warnings: readonly string[];
}

const key = (ns: string, local: string) => `{${ns}}${local}`;
const XSD_SET: ReadonlySet<string> = new Set(XSD_TYPES);

interface SchemaDecl { readonly el: XmlElement; readonly targetNamespace: string; readonly qualified: boolean }

class Types {
  readonly elements = new Map<string, SchemaDecl>();
  readonly complexTypes = new Map<string, SchemaDecl>();
  readonly simpleTypes = new Map<string, SchemaDecl>();
  readonly warnings: string[];
  constructor(warnings: string[]) {
    this.warnings = warnings;
  }

  add(schema: XmlElement): void {
    const targetNamespace = schema.attributes.targetNamespace ?? '';
    const qualified = schema.attributes.elementFormDefault === 'qualified';
    for (const c of schema.children) {
      if (c.ns !== XSD_NS) continue;
      const name = c.attributes.name;
      const decl = { el: c, targetNamespace, qualified };
      if (c.local === 'element' && name) this.elements.set(key(targetNamespace, name), decl);
      else if (c.local === 'complexType' && name) this.complexTypes.set(key(targetNamespace, name), decl);
      else if (c.local === 'simpleType' && name) this.simpleTypes.set(key(targetNamespace, name), decl);
      else if (c.local === 'import' || c.local === 'include') this.warnings.push(`xsd:${c.local} is not followed (only inline schemas are read)`);
    }
  }

  /** A top-level element as a model. */
  topElement(ns: string, local: string, where: string): ElementModelConfig {
    const decl = this.elements.get(key(ns, local));
    if (decl === undefined) throw importProblem(`${where}: element {${ns}}${local} is not defined in the WSDL's types`);
    return this.element(decl.el, decl, true, where, 0);
  }

  /** An element declaration (top-level or local) as a model. */
  element(el: XmlElement, schema: SchemaDecl, topLevel: boolean, where: string, depth: number): ElementModelConfig {
    if (depth > MAX_TYPE_DEPTH) throw importProblem(`${where}: types nest deeper than ${MAX_TYPE_DEPTH} levels (recursive types are not supported)`);
    const occurs = occursOf(el, where);
    if (el.attributes.ref !== undefined) {
      const ref = resolveQName(el, el.attributes.ref);
      const target = this.elements.get(key(ref.ns, ref.local));
      if (target === undefined) throw importProblem(`${where}: element ref ${el.attributes.ref} is not defined`);
      return { ...this.element(target.el, target, true, where, depth + 1), ...occurs };
    }
    const name = el.attributes.name;
    if (name === undefined || !/^[A-Za-z_][A-Za-z0-9._-]{0,127}$/.test(name)) throw importProblem(`${where}: an element has no usable name`);
    const namespace = topLevel || schema.qualified || el.attributes.form === 'qualified' ? schema.targetNamespace : '';
    const base = { name, namespace, ...occurs, nillable: el.attributes.nillable === 'true' };
    const at = `${where}/${name}`;
    const inlineComplex = firstChild(el, XSD_NS, 'complexType');
    if (inlineComplex !== undefined) return { ...base, type: 'string', fields: this.complexFields(inlineComplex, schema, at, depth + 1) };
    const inlineSimple = firstChild(el, XSD_NS, 'simpleType');
    if (inlineSimple !== undefined) return { ...base, ...this.simple(inlineSimple, at, depth + 1) };
    const typeAttr = el.attributes.type;
    if (typeAttr === undefined) return { ...base, type: 'string' }; // xsd:anyType: carried as text
    return { ...base, ...this.typed(el, typeAttr, at, depth + 1) };
  }

  /** What a type="…" reference makes an element: a simple type or complex fields. */
  typed(el: XmlElement, typeAttr: string, where: string, depth: number): { type: XsdType; fields?: ElementModelConfig[]; enumeration?: string[] } {
    const t = resolveQName(el, typeAttr);
    if (t.ns === XSD_NS) return { type: this.builtin(t.local, where) };
    const complex = this.complexTypes.get(key(t.ns, t.local));
    if (complex !== undefined) return { type: 'string', fields: this.complexFields(complex.el, complex, where, depth) };
    const simple = this.simpleTypes.get(key(t.ns, t.local));
    if (simple !== undefined) return this.simple(simple.el, where, depth);
    throw importProblem(`${where}: type ${typeAttr} is not defined in the WSDL's types`);
  }

  builtin(local: string, where: string): XsdType {
    if (XSD_SET.has(local)) return local as XsdType;
    if (local !== 'anyType' && local !== 'anySimpleType') this.warnings.push(`${where}: xsd:${local} is carried as a string`);
    return 'string';
  }

  simple(st: XmlElement, where: string, depth: number): { type: XsdType; enumeration?: string[] } {
    const restriction = firstChild(st, XSD_NS, 'restriction');
    if (restriction === undefined) {
      this.warnings.push(`${where}: a simpleType list or union is carried as a string`);
      return { type: 'string' };
    }
    const enumeration = childrenNamed(restriction, XSD_NS, 'enumeration').map((e) => e.attributes.value ?? '');
    const baseAttr = restriction.attributes.base;
    let type: XsdType = 'string';
    if (baseAttr !== undefined) {
      const b = resolveQName(restriction, baseAttr);
      if (b.ns === XSD_NS) type = this.builtin(b.local, where);
      else {
        const named = this.simpleTypes.get(key(b.ns, b.local));
        if (named !== undefined && depth < MAX_TYPE_DEPTH) type = this.simple(named.el, where, depth + 1).type;
      }
    }
    return enumeration.length > 0 ? { type, enumeration } : { type };
  }

  complexFields(ct: XmlElement, schema: SchemaDecl, where: string, depth: number): ElementModelConfig[] {
    if (depth > MAX_TYPE_DEPTH) throw importProblem(`${where}: types nest deeper than ${MAX_TYPE_DEPTH} levels (recursive types are not supported)`);
    const fields: ElementModelConfig[] = [];
    const content = firstChild(ct, XSD_NS, 'complexContent');
    let group: XmlElement | undefined = ct;
    if (content !== undefined) {
      const ext = firstChild(content, XSD_NS, 'extension');
      if (ext === undefined) {
        this.warnings.push(`${where}: complexContent restriction is read as its own particles only`);
        group = firstChild(content, XSD_NS, 'restriction');
      } else {
        const b = resolveQName(ext, ext.attributes.base ?? '');
        const base = this.complexTypes.get(key(b.ns, b.local));
        if (base !== undefined) fields.push(...this.complexFields(base.el, base, where, depth + 1));
        group = ext;
      }
    }
    if (firstChild(ct, XSD_NS, 'simpleContent') !== undefined) this.warnings.push(`${where}: simpleContent (text with attributes) keeps no attributes`);
    if (group === undefined) return fields;
    for (const particle of group.children) {
      if (particle.ns !== XSD_NS) continue;
      if (particle.local === 'sequence' || particle.local === 'all' || particle.local === 'choice') {
        for (const item of particle.children) {
          if (item.ns !== XSD_NS) continue;
          if (item.local === 'element') {
            const f = this.element(item, schema, false, where, depth + 1);
            fields.push(particle.local === 'choice' ? { ...f, min_occurs: 0 } : f);
          } else if (item.local !== 'annotation') this.warnings.push(`${where}: xsd:${item.local} inside xsd:${particle.local} is skipped`);
        }
        if (particle.local === 'choice') this.warnings.push(`${where}: xsd:choice is mediated with every branch optional`);
      } else if (particle.local === 'attribute' || particle.local === 'anyAttribute') {
        this.warnings.push(`${where}: attributes are not mediated`);
      }
    }
    return fields;
  }
}

function occursOf(el: XmlElement, where: string): { min_occurs: number; max_occurs: number } {
  const min = el.attributes.minOccurs === undefined ? 1 : Number(el.attributes.minOccurs);
  const maxRaw = el.attributes.maxOccurs;
  const max = maxRaw === undefined ? 1 : maxRaw === 'unbounded' ? -1 : Number(maxRaw);
  if (!Number.isInteger(min) || min < 0 || !Number.isInteger(max) || max < -1 || max === 0) throw importProblem(`${where}: invalid minOccurs/maxOccurs`);
  return { min_occurs: min, max_occurs: max };
}

/** Parses a WSDL 1.1 document (text); ImportError lists what is wrong. */
export function parseWsdl(text: string): ParsedWsdl {
  const parsed = parseXml(text, WSDL_XML_LIMITS);
  if (!parsed.ok) throw importProblem(`the WSDL is refused: ${parsed.detail} (${parsed.code})`);
  const root = parsed.root;
  if (root.ns !== WSDL_NS || root.local !== 'definitions') throw importProblem('not a WSDL 1.1 document (expected wsdl:definitions; WSDL 2.0 is not supported)');
  const targetNamespace = root.attributes.targetNamespace ?? '';
  const warnings: string[] = [];
  const types = new Types(warnings);
  for (const t of childrenNamed(root, WSDL_NS, 'types')) for (const s of childrenNamed(t, XSD_NS, 'schema')) types.add(s);

  const messages = new Map(childrenNamed(root, WSDL_NS, 'message').map((m) => [key(targetNamespace, m.attributes.name ?? ''), m]));
  const portTypes = new Map(childrenNamed(root, WSDL_NS, 'portType').map((p) => [key(targetNamespace, p.attributes.name ?? ''), p]));
  const bindings = new Map(childrenNamed(root, WSDL_NS, 'binding').map((b) => [key(targetNamespace, b.attributes.name ?? ''), b]));

  const result = new Map<SoapVersion, WsdlBinding>();
  const serviceEl = childrenNamed(root, WSDL_NS, 'service')[0];
  const ports = serviceEl === undefined ? [] : childrenNamed(serviceEl, WSDL_NS, 'port');
  for (const port of ports) {
    const bRef = resolveQName(port, port.attributes.binding ?? '');
    const binding = bindings.get(key(bRef.ns, bRef.local));
    if (binding === undefined) continue;
    const version = bindingVersion(binding);
    if (version === undefined || result.has(version)) continue;
    const address = port.children.find((c) => c.local === 'address' && (c.ns === SOAP11_BINDING_NS || c.ns === SOAP12_BINDING_NS))?.attributes.location;
    result.set(version, { version, address, operations: bindingOperations(binding, version, portTypes, messages, types, warnings) });
  }
  if (result.size === 0) throw importProblem('the WSDL has no service port with a SOAP 1.1 or 1.2 binding');
  return { name: serviceEl?.attributes.name ?? root.attributes.name ?? 'soap-service', targetNamespace, bindings: result, warnings };
}

function bindingVersion(binding: XmlElement): SoapVersion | undefined {
  const b = binding.children.find((c) => c.local === 'binding');
  return b?.ns === SOAP11_BINDING_NS ? '1.1' : b?.ns === SOAP12_BINDING_NS ? '1.2' : undefined;
}

function bindingOperations(binding: XmlElement, version: SoapVersion, portTypes: Map<string, XmlElement>, messages: Map<string, XmlElement>, types: Types, warnings: string[]): WsdlOperation[] {
  const soapNs = version === '1.1' ? SOAP11_BINDING_NS : SOAP12_BINDING_NS;
  const bindingName = binding.attributes.name ?? '';
  const style = firstChild(binding, soapNs, 'binding')?.attributes.style ?? 'document';
  const ptRef = resolveQName(binding, binding.attributes.type ?? '');
  const portType = portTypes.get(key(ptRef.ns, ptRef.local));
  if (portType === undefined) throw importProblem(`binding ${bindingName}: its portType ${binding.attributes.type ?? ''} is not defined`);
  const abstract = new Map(childrenNamed(portType, WSDL_NS, 'operation').map((o) => [o.attributes.name ?? '', o]));
  const out: WsdlOperation[] = [];
  for (const bop of childrenNamed(binding, WSDL_NS, 'operation')) {
    const name = bop.attributes.name ?? '';
    const where = `binding ${bindingName}, operation ${name}`;
    const op = abstract.get(name);
    if (op === undefined) throw importProblem(`${where}: not in the portType`);
    const soapOp = firstChild(bop, soapNs, 'operation');
    const opStyle = soapOp?.attributes.style ?? style;
    const input = firstChild(op, WSDL_NS, 'input');
    const output = firstChild(op, WSDL_NS, 'output');
    if (input === undefined || output === undefined) {
      warnings.push(`${where}: skipped (only request-response operations are mediated)`);
      continue;
    }
    const bodyNs = (dir: string) => firstChild(firstChild(bop, WSDL_NS, dir) ?? bop, soapNs, 'body')?.attributes.namespace ?? '';
    const request = messageElement(input, name, opStyle, bodyNs('input'), messages, types, `${where}, input`);
    const response = messageElement(output, `${name}Response`, opStyle, bodyNs('output'), messages, types, `${where}, output`);
    out.push({ name, action: soapOp?.attributes.soapAction ?? '', documentation: firstChild(op, WSDL_NS, 'documentation')?.text.trim() ?? '', request, response });
  }
  return out;
}

function messageElement(io: XmlElement, wrapper: string, style: string, rpcNamespace: string, messages: Map<string, XmlElement>, types: Types, where: string): ElementModelConfig {
  const mRef = resolveQName(io, io.attributes.message ?? '');
  const message = messages.get(key(mRef.ns, mRef.local));
  if (message === undefined) throw importProblem(`${where}: message ${io.attributes.message ?? ''} is not defined`);
  const parts = childrenNamed(message, WSDL_NS, 'part');
  if (style === 'rpc') {
    // rpc/literal: a wrapper named after the operation, one unqualified child per part.
    const fields = parts.map((p) => ({ name: p.attributes.name ?? 'part', namespace: '', min_occurs: 1, max_occurs: 1, nillable: false, ...(p.attributes.type !== undefined ? types.typed(p, p.attributes.type, `${where}/${p.attributes.name ?? ''}`, 1) : { type: 'string' as XsdType }) }));
    return { name: wrapper, namespace: rpcNamespace, type: 'string', fields, min_occurs: 1, max_occurs: 1, nillable: false };
  }
  if (parts.length !== 1 || parts[0]!.attributes.element === undefined) throw importProblem(`${where}: document style needs exactly one part with element= (found ${parts.length})`);
  const el = resolveQName(parts[0]!, parts[0]!.attributes.element!);
  return types.topElement(el.ns, el.local, where);
}
