// The bundled plugins. Their run order (priority) is a tested contract: plugins-order.test.ts.
import { catalogOf } from '../core/pipeline/compile.ts';
import type { AnyPlugin } from '../core/pipeline/plugin.ts';
import { acl } from './acl/plugin.ts';
import { basicAuth } from './basic-auth/plugin.ts';
import { circuitBreaker } from './circuit-breaker/plugin.ts';
import { concurrencyLimit } from './concurrency-limit/plugin.ts';
import { cors } from './cors/plugin.ts';
import { graphql } from './graphql/plugin.ts';
import { ipRestriction } from './ip-restriction/plugin.ts';
import { jwt } from './jwt/plugin.ts';
import { keyAuth } from './key-auth/plugin.ts';
import { oauth2Introspection } from './oauth2-introspection/plugin.ts';
import { rateLimiting } from './rate-limiting/plugin.ts';
import { proxyCache } from './proxy-cache/plugin.ts';
import { quota } from './quota/plugin.ts';
import { requestSizeLimiting } from './request-size-limiting/plugin.ts';
import { requestValidator } from './request-validator/plugin.ts';
import { requestTermination } from './request-termination/plugin.ts';
import { requestTransformer } from './request-transformer/plugin.ts';
import { responseTransformer } from './response-transformer/plugin.ts';
import { webhookVerify } from './webhook-verify/plugin.ts';
import { soapMediation } from './soap-mediation/plugin.ts';
import { soapProxy } from './soap-proxy/plugin.ts';
import { edi } from './edi/plugin.ts';

export const BUNDLED_PLUGINS: readonly AnyPlugin[] = [
  ipRestriction,
  webhookVerify,
  cors,
  jwt,
  oauth2Introspection,
  keyAuth,
  basicAuth,
  quota,
  requestValidator,
  requestSizeLimiting,
  rateLimiting,
  acl,
  concurrencyLimit,
  requestTransformer,
  responseTransformer,
  circuitBreaker,
  requestTermination,
  proxyCache,
  soapProxy,
  soapMediation,
  graphql,
  edi,
] as AnyPlugin[];

export const BUNDLED_CATALOG = catalogOf(BUNDLED_PLUGINS);
