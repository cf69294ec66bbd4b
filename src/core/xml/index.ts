// Safe XML for the whole project: parse (limits, no DTDs) and write (escaped). docs/xml-safety.md.
export { DEFAULT_XML_LIMITS, WSDL_XML_LIMITS, type XmlLimits, type XmlRefusal } from './limits.ts';
export { parseXml, type XmlParseResult } from './parse.ts';
export { childrenNamed, firstChild, resolveQName, type XmlElement } from './tree.ts';
export { escapeAttribute, escapeText, isXmlName, isXmlText, writeXml, type XmlNode } from './write.ts';
export { declaredAction, ENVELOPE_NS, faultOf, operationForAction, readEnvelope, SOAP_CONTENT_TYPE, soapVersionOf, writeEnvelope, writeFault, type Envelope, type SoapFault, type SoapOperationRef, type SoapVersion } from './soap.ts';
