import SwaggerParser from '@apidevtools/swagger-parser';
const broken: any = {
  openapi: '3.0.3',
  info: { title: 'x' },
  paths: {
    '/labels': { post: { operationId: 'a' } },
    '/rates': { get: { responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } },
    'tracking': { get: { responses: {} } },
  },
};
for (const doc of [broken, { ...broken, openapi: '3.1.0' }, { swagger: '2.0', info: { title: 'x' }, paths: { '/a/{id}': { get: { responses: { '200': { description: 'k' } } } } } }, { swagger: '2.0', info: { title: 'x', version: '1' }, paths: { '/a/{id}': { get: { responses: { '200': { description: 'k' } } } } } }]) {
  try {
    await SwaggerParser.validate(structuredClone(doc));
    console.log('valid');
  } catch (e: any) {
    console.log('NAME', e.name, e.constructor.name, 'MSG', JSON.stringify(e.message), 'DETAILS', JSON.stringify(e.details, null, 0)?.slice(0, 3000), Object.keys(e));
  }
}
