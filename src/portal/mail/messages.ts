// The portal's messages. Plain text, one link each; never a password, never anything the reader
// did not already know except the link itself.
import type { MailMessage } from './transport.ts';

export const verifyEmailMessage = (to: string, link: string): MailMessage => ({
  kind: 'verify-email', to, link, subject: 'Confirm your email address',
  text: `Welcome to the developer portal.\n\nConfirm your email address to create API keys:\n${link}\n\nIf you did not sign up, ignore this message.\n`,
});

export const accountExistsMessage = (to: string, resetLink: string): MailMessage => ({
  kind: 'account-exists', to, subject: 'You already have an account',
  text: `Someone (hopefully you) tried to sign up with this address, which already has an account.\nLog in, or reset your password here:\n${resetLink}\n`,
});

export const resetPasswordMessage = (to: string, link: string): MailMessage => ({
  kind: 'reset-password', to, link, subject: 'Reset your password',
  text: `Choose a new password here (the link works once, for an hour):\n${link}\n\nSetting it logs out every other session. If you did not ask for this, ignore this message.\n`,
});

export const inviteMessage = (to: string, team: string, role: string, link: string): MailMessage => ({
  kind: 'invite', to, link, subject: `You are invited to join ${team}`,
  text: `You are invited to join the team "${team}" as ${role} on the developer portal.\nAccept (log in or sign up with this address first):\n${link}\n`,
});
