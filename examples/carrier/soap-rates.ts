// The carrier's legacy SOAP rate-quote service: SOAP 1.1, one operation (GetRateQuote), the same
// prices as the REST API (rates.ts). `npm start` runs it on 127.0.0.1:9003 and the gateway
// exposes it twice: as SOAP (/carrier-soap) and as REST JSON through soap-mediation
// (/carrier/legacy-rates), both with the demo shop's API key. See docs/soap.md.
//
//   npx node examples/carrier/soap-rates.ts [--port N]     (default 9003, 127.0.0.1)
//   curl 'http://127.0.0.1:9003/soap/rates?wsdl'
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { parseXml, type XmlElement } from '../../src/core/xml/index.ts';
import { readEnvelope, SOAP_CONTENT_TYPE, writeEnvelope } from '../../src/core/xml/soap.ts';
import { quoteAll, SERVICES, type Parcel, type RateRequest } from './rates.ts';

export const SOAP_RATES_PATH = '/soap/rates';
export const RATES_NS = 'urn:carrier:rates:v1';
export const GET_RATE_QUOTE_ACTION = `${RATES_NS}#GetRateQuote`;
const MAX_BODY_BYTES = 64 * 1024;

/** The service's WSDL 1.1 (document/literal, SOAP 1.1); `{address}` becomes the endpoint URL. */
export function soapRatesWsdl(address: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${RATES_NS}" targetNamespace="${RATES_NS}" name="CarrierRates">
  <wsdl:types>
    <xs:schema targetNamespace="${RATES_NS}" elementFormDefault="qualified">
      <xs:simpleType name="Service">
        <xs:restriction base="xs:string">${SERVICES.map((s) => `<xs:enumeration value="${s}"/>`).join('')}</xs:restriction>
      </xs:simpleType>
      <xs:complexType name="Address">
        <xs:sequence>
          <xs:element name="postalCode" type="xs:string"/>
          <xs:element name="country" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="Parcel">
        <xs:sequence>
          <xs:element name="weightKg" type="xs:double"/>
          <xs:element name="lengthCm" type="xs:int"/>
          <xs:element name="widthCm" type="xs:int"/>
          <xs:element name="heightCm" type="xs:int"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="Quote">
        <xs:sequence>
          <xs:element name="service" type="tns:Service"/>
          <xs:element name="amount" type="xs:decimal"/>
          <xs:element name="currency" type="xs:string"/>
          <xs:element name="estimatedDays" type="xs:int"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="GetRateQuote">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="from" type="tns:Address"/>
            <xs:element name="to" type="tns:Address"/>
            <xs:element name="parcel" type="tns:Parcel" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="GetRateQuoteResponse">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="quote" type="tns:Quote" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="GetRateQuoteIn"><wsdl:part name="parameters" element="tns:GetRateQuote"/></wsdl:message>
  <wsdl:message name="GetRateQuoteOut"><wsdl:part name="parameters" element="tns:GetRateQuoteResponse"/></wsdl:message>
  <wsdl:portType name="RatesPort">
    <wsdl:operation name="GetRateQuote">
      <wsdl:documentation>Quotes every service available between two addresses for the parcels.</wsdl:documentation>
      <wsdl:input message="tns:GetRateQuoteIn"/>
      <wsdl:output message="tns:GetRateQuoteOut"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="RatesSoap" type="tns:RatesPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetRateQuote">
      <soap:operation soapAction="${GET_RATE_QUOTE_ACTION}" style="document"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="CarrierRates">
    <wsdl:port name="RatesSoap" binding="tns:RatesSoap"><soap:address location="${address}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
}

class ClientFault extends Error {}

const child = (el: XmlElement, name: string): XmlElement => {
  const c = el.children.find((x) => x.local === name && x.ns === RATES_NS);
  if (c === undefined) throw new ClientFault(`${el.local}/${name} is missing`);
  return c;
};
const text = (el: XmlElement, name: string): string => {
  const t = child(el, name).text.trim();
  if (t === '') throw new ClientFault(`${el.local}/${name} is empty`);
  return t;
};
const positive = (el: XmlElement, name: string): number => {
  const n = Number(text(el, name));
  if (!Number.isFinite(n) || n <= 0 || n > 10_000) throw new ClientFault(`${el.local}/${name} must be a positive number`);
  return n;
};

/** The GetRateQuote element → the REST API's rate request. */
function rateRequestOf(op: XmlElement): RateRequest {
  const address = (name: string) => {
    const a = child(op, name);
    return { postal_code: text(a, 'postalCode'), country: text(a, 'country').toUpperCase() };
  };
  const parcels: Parcel[] = op.children.filter((c) => c.local === 'parcel' && c.ns === RATES_NS).map((p) => ({
    weight_kg: positive(p, 'weightKg'), length_cm: positive(p, 'lengthCm'), width_cm: positive(p, 'widthCm'), height_cm: positive(p, 'heightCm'),
  }));
  if (parcels.length === 0 || parcels.length > 50) throw new ClientFault('between 1 and 50 parcels are needed');
  return { from: address('from'), to: address('to'), parcels };
}

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer, wsdl: string): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  if (url.pathname !== SOAP_RATES_PATH) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  if (req.method === 'GET' && url.searchParams.has('wsdl')) return void res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(wsdl);
  const fault = (client: boolean, message: string) => res.writeHead(500, { 'content-type': SOAP_CONTENT_TYPE['1.1'] }).end(writeEnvelope('1.1', [{ name: 'soap:Fault', children: [
    { name: 'faultcode', children: [client ? 'soap:Client' : 'soap:Server'] },
    { name: 'faultstring', children: [message] },
  ] }]));
  if (req.method !== 'POST') return void fault(true, 'POST a SOAP 1.1 envelope (or GET ?wsdl)');
  const parsed = parseXml(body, { maxBytes: MAX_BODY_BYTES, maxDepth: 16, maxElements: 2000, maxAttributes: 16, maxAttributeLength: 1024, maxTextLength: 4096, maxNameLength: 128 });
  if (!parsed.ok) return void fault(true, parsed.detail);
  const env = readEnvelope(parsed.root);
  if (typeof env === 'string' || env.version !== '1.1') return void fault(true, typeof env === 'string' ? env : 'this service speaks SOAP 1.1');
  const op = env.payload;
  if (op === undefined || op.local !== 'GetRateQuote' || op.ns !== RATES_NS) return void fault(true, 'unknown operation');
  let quotes;
  try {
    quotes = quoteAll(rateRequestOf(op));
  } catch (err) {
    if (err instanceof ClientFault) return void fault(true, err.message);
    return void fault(false, 'the quote could not be computed');
  }
  const xml = writeEnvelope('1.1', [{
    name: 'GetRateQuoteResponse',
    attributes: { xmlns: RATES_NS },
    children: quotes.map((q) => ({ name: 'quote', children: [
      { name: 'service', children: [q.service] },
      { name: 'amount', children: [q.amount.toFixed(2)] },
      { name: 'currency', children: [q.currency] },
      { name: 'estimatedDays', children: [String(q.estimated_days)] },
    ] })),
  }]);
  res.writeHead(200, { 'content-type': SOAP_CONTENT_TYPE['1.1'] }).end(xml);
}

/** The SOAP rate service (not yet listening); its WSDL names `publicAddress` as the endpoint. */
export function createSoapRatesServer(publicAddress?: (port: number) => string): http.Server {
  let wsdl: string | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { res.writeHead(413, { connection: 'close' }).end(); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      const port = (server.address() as AddressInfo).port;
      wsdl ??= soapRatesWsdl(publicAddress?.(port) ?? `http://127.0.0.1:${port}${SOAP_RATES_PATH}`);
      handle(req, res, Buffer.concat(chunks), wsdl);
    });
  });
  return server;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  const port = Number(values.port ?? process.env.PORT ?? 9003);
  const server = createSoapRatesServer();
  server.listen(port, '127.0.0.1', () => process.stdout.write(`carrier SOAP rates on http://127.0.0.1:${port}${SOAP_RATES_PATH} (WSDL: ?wsdl)\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
