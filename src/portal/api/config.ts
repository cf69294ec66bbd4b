// What the portal web app needs to know about this node that is not data: the gateway's public
// URL, where the "try it" panel sends its calls. Public (the catalog is too).
import Type from 'typebox';
import type { PortalContext, PortalOperation } from './context.ts';

const ConfigSchema = Type.Object({
  gateway_url: Type.Union([Type.String(), Type.Null()], { description: 'The gateway’s public URL (PORTCULLIS_PORTAL_GATEWAY_URL, else the node’s own proxy listener); null when unknown.' }),
}, { title: 'PortalConfig' });

export function configOperations(ctx: PortalContext): PortalOperation[] {
  return [{
    id: 'portal-config', method: 'GET', path: '/portal/api/config', tag: 'Catalog',
    summary: 'The portal’s settings for the web app: the gateway URL that “try it” calls',
    responses: { 200: { description: 'The settings.', schema: ConfigSchema } },
    async handler() {
      return { body: { gateway_url: ctx.settings.gatewayUrl() ?? null } };
    },
  }];
}
