// Who the gateway authenticated, told to the upstream in headers. Whatever a client sent under
// these names is removed first: only the gateway may say who the consumer is.
import { removeHeader, type PluginResponse, type RequestContext } from '../../core/pipeline/context.ts';

import { CONSUMER_IDENTITY_HEADERS } from '../../core/identity/headers.ts';

export function stripConsumerHeaders(ctx: RequestContext): void {
  for (const h of CONSUMER_IDENTITY_HEADERS) removeHeader(ctx.upstream.headers, h);
}

/** Records the consumer on the request and in the upstream headers. */
export function setConsumer(ctx: RequestContext, consumer: NonNullable<RequestContext['consumer']>, credentialId: string | undefined, anonymous = false): void {
  stripConsumerHeaders(ctx);
  ctx.consumer = consumer;
  ctx.anonymous = anonymous;
  const h = ctx.upstream.headers;
  h['x-consumer-id'] = consumer.id;
  if (consumer.username !== undefined) h['x-consumer-username'] = consumer.username;
  if (consumer.customId !== undefined) h['x-consumer-custom-id'] = consumer.customId;
  if (consumer.groups && consumer.groups.length > 0) h['x-consumer-groups'] = consumer.groups.join(', ');
  if (credentialId !== undefined) {
    ctx.credentialId = credentialId;
    h['x-credential-identifier'] = credentialId;
  }
  if (anonymous) h['x-anonymous-consumer'] = 'true';
}

/** A consumer identified by a credential already (an earlier plugin of "any of these"), not the anonymous one. */
export function isAuthenticated(ctx: RequestContext): boolean {
  return ctx.consumer !== undefined && ctx.anonymous !== true;
}

/**
 * No valid credential: the request goes on as the `anonymous` consumer when one is configured and
 * exists, otherwise it gets the one 401 (`challenge` for WWW-Authenticate). An anonymous consumer
 * set by an earlier auth plugin stays ("any of these"); otherwise nothing a client sent may pass
 * for an identity.
 */
export function unauthenticated(ctx: RequestContext, anonymous: string | undefined, challenge: string): PluginResponse | undefined {
  if (anonymous !== undefined) {
    const consumer = ctx.identities.consumer(anonymous);
    if (consumer) {
      setConsumer(ctx, consumer, undefined, true);
      return undefined;
    }
  }
  if (ctx.consumer === undefined) stripConsumerHeaders(ctx);
  return { problem: 'unauthorized', headers: { 'www-authenticate': challenge } };
}
