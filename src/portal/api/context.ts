// What every portal operation shares: the store, the config service (applications are consumers),
// settings, sessions, mail, throttles, and small helpers for bodies, links and membership checks.
import type { TSchema } from 'typebox';
import { validate } from '../../core/config/validate.ts';
import { ApiProblem, type Operation } from '../../admin/api/types.ts';
import { WriteValidationError, type ConfigService } from '../../admin/config-service.ts';
import type { Store, StoreSession } from '../../store/ports.ts';
import type { MemberRole, TokenPurpose } from '../../store/portal/model.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { WebhookService } from '../../webhooks/service.ts';
import type { MailMessage, MailTransport } from '../mail/transport.ts';
import { newSecret, secretHash } from '../secrets.ts';
import type { PortalAccess, PortalPrincipal, PortalSessions } from '../sessions.ts';
import type { PortalSettings } from '../settings.ts';
import { Throttle } from '../throttle.ts';

export type PortalOperation = Operation<PortalPrincipal, PortalAccess>;

export interface PortalContext {
  readonly store: Store;
  readonly service: ConfigService;
  readonly settings: PortalSettings;
  readonly sessions: PortalSessions;
  readonly mail: MailTransport;
  readonly logger: Logger;
  readonly webhooks?: WebhookService;
  readonly throttles: Record<keyof PortalSettings['throttle'], Throttle>;
}

export function throttlesFor(settings: PortalSettings): PortalContext['throttles'] {
  const t = settings.throttle;
  return {
    loginPerIp: new Throttle(t.loginPerIp, settings.now),
    loginPerAccount: new Throttle(t.loginPerAccount, settings.now),
    signupPerIp: new Throttle(t.signupPerIp, settings.now),
    resetPerIp: new Throttle(t.resetPerIp, settings.now),
    resetPerAccount: new Throttle(t.resetPerAccount, settings.now),
    mailPerAddress: new Throttle(t.mailPerAddress, settings.now),
    invitesPerUser: new Throttle(t.invitesPerUser, settings.now),
  };
}

/** Counts an attempt against each throttle; the first exhausted one answers 429. */
export function throttle(...checks: [Throttle, string][]): void {
  for (const [t, key] of checks) {
    const wait = t.hit(key);
    if (wait !== undefined) throw new ApiProblem('too-many-attempts', undefined, undefined, { 'retry-after': String(wait) });
  }
}

/** The body, validated (defaults filled) or a 400 naming every problem. */
export function bodyOf<T>(schema: TSchema, body: unknown): T {
  const v = validate<T>(schema, body ?? {});
  if (!v.ok) throw new WriteValidationError(v.issues);
  return v.value;
}

/** The signed-in principal of an operation that has a role (the gate guarantees it). */
export function principalOf(input: { principal: PortalPrincipal | undefined }): PortalPrincipal {
  if (!input.principal) throw new ApiProblem('unauthorized');
  return input.principal;
}

/** A link into the portal web app carrying a token (in the fragment-free query: the app posts it back). */
export const linkTo = (settings: PortalSettings, page: string, token: string) => `${settings.publicUrl}/${page}?token=${encodeURIComponent(token)}`;

/** Stores a mailed token (its hash) and returns the token itself, to be put in the link. */
export async function issueToken(tx: StoreSession, settings: PortalSettings, purpose: TokenPurpose, ttlMs: number, fields: { email: string; user_id?: string; team_id?: string; role?: MemberRole; created_by?: string }): Promise<{ token: string; id: string; expiresAt: string }> {
  const token = newSecret();
  const expiresAt = new Date(settings.now() + ttlMs).toISOString();
  await tx.portal.insertToken({ id: secretHash(token), purpose, email: fields.email, user_id: fields.user_id ?? null, team_id: fields.team_id ?? null, role: fields.role ?? null, created_by: fields.created_by ?? null, expires_at: expiresAt });
  return { token, id: secretHash(token), expiresAt };
}

/**
 * Sends without making the request wait for (or fail with) the mail server: answers must not
 * differ in time or outcome between an existing and an unknown address. Failures are logged.
 */
export function sendMail(ctx: PortalContext, message: MailMessage): void {
  ctx.mail.send(message).catch((err: unknown) => ctx.logger.warn({ kind: message.kind, error: (err as Error).message }, 'portal mail could not be sent'));
}

/**
 * The caller's role in a team. Not a member: 404, the same answer as a team that does not exist
 * (team ids cannot be probed). A member without one of `roles`: 403.
 */
export async function requireMember(ctx: PortalContext, principal: PortalPrincipal, teamId: string, roles?: readonly MemberRole[]): Promise<MemberRole> {
  const role = await ctx.store.read().portal.roleIn(teamId, principal.userId);
  if (role === undefined) throw new ApiProblem('not-found', 'no such team');
  if (roles && !roles.includes(role)) throw new ApiProblem('forbidden', `this needs the ${roles.join(' or ')} role in the team; you are ${role}`);
  return role;
}

export const actorOf = (principal: PortalPrincipal, requestId: string) => ({ name: `portal:${principal.email}`, requestId });
