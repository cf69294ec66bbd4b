import SwaggerParser from '@apidevtools/swagger-parser';
const base = (v: string): any => ({
  openapi: v,
  info: { title: 'x' },
  paths: {
    '/labels': { post: { operationId: 'a' } },
    '/rates': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } },
    'tracking': { get: { responses: { '200': { description: 'x' } } } },
    '/x/{id}': { get: { parameters: [{ name: 'id', in: 'path' }], responses: { '200': { description: 'x' } } } },
  },
});
for (const v of ['3.0.3', '3.1.0']) {
  for (const opts of [{ continueOnError: true, resolve: { external: false } }, { resolve: { external: false }, dereference: { excludedPathMatcher: () => true }, validate: { spec: false } }]) {
    try {
      await SwaggerParser.validate(structuredClone(base(v)), opts as any);
      console.log(v, 'valid');
    } catch (e: any) {
      console.log(v, 'NAME', e.name, 'MSG', JSON.stringify(e.message), 'DETAILS', JSON.stringify(e.details, null, 0), 'ERRORS', e.errors && JSON.stringify(e.errors.map((x: any) => ({ m: x.message, p: x.path, s: x.source, c: x.code }))));
    }
  }
}
