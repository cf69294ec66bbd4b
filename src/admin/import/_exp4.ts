import YAML from 'yaml';
const bomb = `openapi: 3.0.3
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;
const t = Date.now();
try { YAML.parse(bomb, { maxAliasCount: 100, uniqueKeys: true }); console.log('parsed!'); } catch (e: any) { console.log(e.name, e.message, Date.now() - t); }
const doc = YAML.parseDocument(bomb, { uniqueKeys: true });
console.log('errors', doc.errors.length);
try { doc.toJS({ maxAliasCount: 100 }); } catch (e: any) { console.log(e.name, JSON.stringify(e.message)); }
const bad = 'a: 1\na: 2\nb: [1, 2\nc: "x\n';
const d2 = YAML.parseDocument(bad, { uniqueKeys: true });
for (const e of d2.errors) console.log(e.name, e.code, JSON.stringify(e.message), e.linePos);
const d3 = YAML.parseDocument('%YAML 1.1\n---\na: !foo 1\n', { uniqueKeys: true });
console.log(d3.warnings.map((w) => w.message), d3.errors.map((w) => w.message));
console.log(JSON.stringify(YAML.parse('{"a": 1, "b": [true, null, 1.5e3]}')));
