// Accounts and sessions: sign-up (with the user's first team), email verification, login and
// logout, the session (with its CSRF token), password change and reset. No answer tells whether
// an address has an account: sign-up and reset always answer 202 and mail the address instead,
// login fails alike (and as slowly) for an unknown address and a wrong password.
import Type from 'typebox';
import { hashPassword, verifyPassword } from '../../core/identity/secrets.ts';
import { ApiProblem, Timestamp, Uuid } from '../../admin/api/types.ts';
import { DuplicateKeyError } from '../../store/ports.ts';
import type { PortalUserRow } from '../../store/schema.ts';
import { accountExistsMessage, resetPasswordMessage, verifyEmailMessage } from '../mail/messages.ts';
import { newSecret, normaliseEmail, secretHash } from '../secrets.ts';
import { SESSION_COOKIE, cookieValue } from '../sessions.ts';
import { bodyOf, issueToken, linkTo, principalOf, sendMail, throttle, type PortalContext, type PortalOperation } from './context.ts';

export const MIN_PASSWORD = 12;
const Email = Type.String({ format: 'email', maxLength: 254, description: 'Email address (compared case-insensitively).' });
const Password = Type.String({ minLength: MIN_PASSWORD, maxLength: 1024, description: `At least ${MIN_PASSWORD} characters.` });
const Token = Type.String({ minLength: 1, maxLength: 128, description: 'The token from the mailed link.' });

const SignupSchema = Type.Object({ email: Email, password: Password, team_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Name of the team the account starts with (default: from the email).' })) }, { additionalProperties: false, title: 'PortalSignup' });
const LoginSchema = Type.Object({ email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false, title: 'PortalLogin' });
const TokenSchema = Type.Object({ token: Token }, { additionalProperties: false, title: 'PortalToken' });
const ResetRequestSchema = Type.Object({ email: Email }, { additionalProperties: false, title: 'PortalResetRequest' });
const ResetConfirmSchema = Type.Object({ token: Token, password: Password }, { additionalProperties: false, title: 'PortalResetConfirm' });
const ChangePasswordSchema = Type.Object({ current_password: Type.String({ maxLength: 1024 }), new_password: Password }, { additionalProperties: false, title: 'PortalPasswordChange' });

const TeamRefSchema = Type.Object({ id: Uuid, name: Type.String(), role: Type.Union([Type.Literal('owner'), Type.Literal('developer')]) }, { title: 'PortalTeamRef' });
export const AccountSchema = Type.Object({ id: Uuid, email: Type.String(), verified: Type.Boolean(), created_at: Timestamp, teams: Type.Array(TeamRefSchema) }, { title: 'PortalAccount' });
const SessionSchema = Type.Object({
  authenticated: Type.Boolean(),
  csrf_token: Type.Optional(Type.String({ description: 'Send as X-CSRF-Token on every POST, PUT, PATCH and DELETE of this session.' })),
  expires_at: Type.Optional(Timestamp),
  account: Type.Optional(AccountSchema),
}, { title: 'PortalSession' });
const AcceptedSchema = Type.Object({ status: Type.Literal('accepted'), detail: Type.String() }, { title: 'PortalAccepted' });

const accepted = (detail: string) => ({ status: 202, body: { status: 'accepted', detail } });

/** A password hash to check against when the address is unknown: the same work either way. */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashPassword(newSecret()));

export async function presentAccount(ctx: PortalContext, user: PortalUserRow): Promise<Record<string, unknown>> {
  const teams = await ctx.store.read().portal.teamsOf(user.id);
  return { id: user.id, email: user.email, verified: user.email_verified_at !== null, created_at: user.created_at, teams: teams.map((m) => ({ id: m.team.id, name: m.team.name, role: m.role })) };
}

export function accountOperations(ctx: PortalContext): PortalOperation[] {
  const { store, settings, sessions, throttles } = ctx;
  const now = () => new Date(settings.now()).toISOString();
  const userOf = async (id: string) => {
    const user = await store.read().portal.getUser(id);
    if (!user) throw new ApiProblem('unauthorized');
    return user;
  };
  return [
    {
      id: 'portal-signup', method: 'POST', path: '/portal/api/signup', tag: 'Account', write: true,
      summary: 'Sign up: an account, its first team, and a verification mail',
      description: 'Always 202 with the same body, whether or not the address already has an account (that address is mailed a note instead), so the answer does not reveal accounts. Log in afterwards; creating keys needs the verified address.',
      body: SignupSchema,
      responses: { 202: { description: 'Accepted: check the mailbox.', schema: AcceptedSchema } },
      problems: ['too-many-attempts'],
      async handler(input) {
        const b = bodyOf<{ email: string; password: string; team_name?: string }>(SignupSchema, input.body);
        const email = normaliseEmail(b.email);
        throttle([throttles.signupPerIp, input.ip], [throttles.mailPerAddress, email]);
        // Hashed before looking: an existing address costs the same time as a new one.
        const passwordHash = await hashPassword(b.password);
        const done = () => accepted('If the address can receive mail, a message with the next step is on its way.');
        if (await store.read().portal.getUserByEmail(email)) {
          sendMail(ctx, accountExistsMessage(email, `${settings.publicUrl}/reset-password`));
          return done();
        }
        let token: string;
        try {
          token = await store.write(async (tx) => {
            const user = await tx.portal.insertUser({ email, password_hash: passwordHash });
            const team = await tx.portal.insertTeam(b.team_name ?? `${email.split('@')[0]}'s team`);
            await tx.portal.addMember(team.id, user.id, 'owner');
            return (await issueToken(tx, settings, 'verify-email', settings.verifyTtlMs, { email, user_id: user.id })).token;
          });
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
          sendMail(ctx, accountExistsMessage(email, `${settings.publicUrl}/reset-password`)); // a concurrent sign-up won
          return done();
        }
        sendMail(ctx, verifyEmailMessage(email, linkTo(settings, 'verify-email', token)));
        return done();
      },
    },
    {
      id: 'portal-verify-email', method: 'POST', path: '/portal/api/account/verify', tag: 'Account', write: true,
      summary: 'Confirm an email address with the token from the mailed link',
      body: TokenSchema,
      responses: { 200: { description: 'Verified.', schema: Type.Object({ verified: Type.Literal(true) }) } },
      problems: ['token-invalid'],
      async handler(input) {
        const { token } = bodyOf<{ token: string }>(TokenSchema, input.body);
        const id = secretHash(token);
        const at = now();
        await store.write(async (tx) => {
          const row = await tx.portal.getToken(id);
          if (!row?.user_id || !await tx.portal.useToken(id, 'verify-email', at)) throw new ApiProblem('token-invalid');
          await tx.portal.updateUser(row.user_id, { email_verified_at: at });
        });
        return { body: { verified: true } };
      },
    },
    {
      id: 'portal-resend-verification', method: 'POST', path: '/portal/api/account/verification', tag: 'Account', role: 'user', write: true,
      summary: 'Mail a new verification link to the signed-in user',
      responses: { 202: { description: 'Sent (nothing happens when the address is already verified).', schema: AcceptedSchema } },
      problems: ['too-many-attempts'],
      async handler(input) {
        const p = principalOf(input);
        throttle([throttles.mailPerAddress, p.email]);
        if (!p.verified) {
          const { token } = await store.write((tx) => issueToken(tx, settings, 'verify-email', settings.verifyTtlMs, { email: p.email, user_id: p.userId }));
          sendMail(ctx, verifyEmailMessage(p.email, linkTo(settings, 'verify-email', token)));
        }
        return accepted('A new link is on its way unless the address is already verified.');
      },
    },
    {
      id: 'portal-get-session', method: 'GET', path: '/portal/api/session', tag: 'Session',
      summary: 'The current session: whether logged in, the account, and the CSRF token',
      responses: { 200: { description: 'The session (authenticated false without one).', schema: SessionSchema } },
      async handler(input) {
        if (!input.principal) {
          // A cookie that names no live session (expired, logged out elsewhere) is cleared.
          const stale = typeof input.headers.cookie === 'string' && cookieValue(input.headers.cookie, SESSION_COOKIE) !== undefined;
          return { body: { authenticated: false }, ...(stale ? { headers: { 'set-cookie': sessions.clearCookie(input.secure) } } : {}) };
        }
        const user = await userOf(input.principal.userId);
        return { body: { authenticated: true, csrf_token: input.principal.csrfToken, account: await presentAccount(ctx, user) } };
      },
    },
    {
      id: 'portal-login', method: 'POST', path: '/portal/api/session', tag: 'Session', write: true,
      summary: 'Log in: a new session cookie (HttpOnly, SameSite=Lax) and its CSRF token',
      description: 'Any session the request came with is ended (the id is never reused across a login). Unverified users can log in.',
      body: LoginSchema,
      responses: { 200: { description: 'Logged in; Set-Cookie carries the session.', schema: SessionSchema } },
      problems: ['invalid-credentials', 'too-many-attempts'],
      async handler(input) {
        const b = bodyOf<{ email: string; password: string }>(LoginSchema, input.body);
        const email = normaliseEmail(b.email);
        throttle([throttles.loginPerIp, input.ip], [throttles.loginPerAccount, email]);
        const user = await store.read().portal.getUserByEmail(email);
        const ok = await verifyPassword(b.password, user?.password_hash ?? await decoyHash());
        if (!user || !ok) throw new ApiProblem('invalid-credentials');
        const cookieHeader = input.headers.cookie;
        const started = await sessions.start(user.id, typeof cookieHeader === 'string' ? cookieHeader : undefined);
        return {
          body: { authenticated: true, csrf_token: started.csrfToken, expires_at: started.expiresAt, account: await presentAccount(ctx, user) },
          headers: { 'set-cookie': sessions.cookie(started.secret, input.secure) },
        };
      },
    },
    {
      id: 'portal-logout', method: 'DELETE', path: '/portal/api/session', tag: 'Session', role: 'user', write: true,
      summary: 'Log out: the session ends and the cookie is cleared',
      responses: { 204: { description: 'Logged out.' } },
      async handler(input) {
        const p = principalOf(input);
        await store.write((tx) => tx.portal.deleteSession(p.sessionId));
        return { status: 204, headers: { 'set-cookie': sessions.clearCookie(input.secure) } };
      },
    },
    {
      id: 'portal-get-account', method: 'GET', path: '/portal/api/account', tag: 'Account', role: 'user',
      summary: 'The signed-in account and its teams',
      responses: { 200: { description: 'The account.', schema: AccountSchema } },
      async handler(input) {
        return { body: await presentAccount(ctx, await userOf(principalOf(input).userId)) };
      },
    },
    {
      id: 'portal-change-password', method: 'POST', path: '/portal/api/account/password', tag: 'Account', role: 'user', write: true,
      summary: 'Change the password (the current one is required); every other session ends',
      body: ChangePasswordSchema,
      responses: { 204: { description: 'Changed.' } },
      problems: ['invalid-credentials', 'too-many-attempts'],
      async handler(input) {
        const p = principalOf(input);
        const b = bodyOf<{ current_password: string; new_password: string }>(ChangePasswordSchema, input.body);
        throttle([throttles.loginPerAccount, p.email]);
        const user = await userOf(p.userId);
        if (!await verifyPassword(b.current_password, user.password_hash)) throw new ApiProblem('invalid-credentials', 'the current password is not right');
        const hash = await hashPassword(b.new_password);
        await store.write(async (tx) => {
          await tx.portal.updateUser(user.id, { password_hash: hash });
          await tx.portal.deleteSessionsOf(user.id, p.sessionId);
        });
        return { status: 204 };
      },
    },
    {
      id: 'portal-request-password-reset', method: 'POST', path: '/portal/api/password-reset', tag: 'Account', write: true,
      summary: 'Mail a password reset link',
      description: 'Always 202 with the same body; only an address with an account is mailed.',
      body: ResetRequestSchema,
      responses: { 202: { description: 'Accepted.', schema: AcceptedSchema } },
      problems: ['too-many-attempts'],
      async handler(input) {
        const email = normaliseEmail(bodyOf<{ email: string }>(ResetRequestSchema, input.body).email);
        throttle([throttles.resetPerIp, input.ip], [throttles.resetPerAccount, email]);
        const user = await store.read().portal.getUserByEmail(email);
        if (user) {
          const { token } = await store.write((tx) => issueToken(tx, settings, 'reset-password', settings.resetTtlMs, { email, user_id: user.id }));
          sendMail(ctx, resetPasswordMessage(email, linkTo(settings, 'reset-password', token)));
        }
        return accepted('If the address has an account, a reset link is on its way.');
      },
    },
    {
      id: 'portal-confirm-password-reset', method: 'POST', path: '/portal/api/password-reset/confirm', tag: 'Account', write: true,
      summary: 'Set a new password with the mailed token; every session of the account ends',
      description: 'The link also proves the address, so an unverified account becomes verified.',
      body: ResetConfirmSchema,
      responses: { 204: { description: 'Password set; log in with it.' } },
      problems: ['token-invalid'],
      async handler(input) {
        const b = bodyOf<{ token: string; password: string }>(ResetConfirmSchema, input.body);
        const id = secretHash(b.token);
        // A made-up token is refused before any hashing: scrypt's cost is only paid for a real link.
        const known = await store.read().portal.getToken(id);
        if (known?.purpose !== 'reset-password' || known.used_at !== null || Date.parse(known.expires_at) <= settings.now()) throw new ApiProblem('token-invalid');
        const hash = await hashPassword(b.password);
        const at = now();
        await store.write(async (tx) => {
          const row = await tx.portal.getToken(id);
          if (!row?.user_id || !await tx.portal.useToken(id, 'reset-password', at)) throw new ApiProblem('token-invalid');
          const user = await tx.portal.getUser(row.user_id);
          if (!user) throw new ApiProblem('token-invalid');
          await tx.portal.updateUser(user.id, { password_hash: hash, ...(user.email_verified_at === null ? { email_verified_at: at } : {}) });
          await tx.portal.deleteSessionsOf(user.id);
        });
        return { status: 204 };
      },
    },
  ];
}
