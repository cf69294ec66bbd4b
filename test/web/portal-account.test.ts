// The portal's account pages in real headless Chromium against a real node: sign up (the password
// rule checked in place), follow the verification link the node logged (the log mail transport),
// log in with a ?next= return, log out, a wrong password shown on the form, a password reset by
// its mailed link, the team page (an owner invites by email) and accepting that invitation (a
// developer then sees no owner controls). Every page passes axe-core at 1280 and 375 px without
// horizontal scrolling, console errors or CSP violations.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertAccessible, assertNoHorizontalOverflow, assertNoPageProblems, closeBrowser, launchBrowser, mailedLink, openPage, screenshot, startSeededNode } from './harness.ts';

const TIMEOUT = 240_000;
after(() => closeBrowser());

/**
 * The link of the last mail of this kind to this address, from the node's log (log transport), as
 * a path on the node's admin origin: the harness's node listens on an OS-chosen admin port, which
 * the default PORTCULLIS_PORTAL_URL (built before listening) does not know.
 */

async function checkPage(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await assertNoHorizontalOverflow(page, name);
  await screenshot(page, name);
}

async function logIn(page: Page, email: string, password: string, next?: string): Promise<void> {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('portal accounts: sign up, verify by the mailed link, log in and out, reset the password, team page; accessible at 1280 and 375 px', { timeout: TIMEOUT }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const { node } = await startSeededNode(t);
  const email = `dev-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const newPassword = 'another long passphrase';
  const desktop = await openPage(browser, node.adminUrl);
  const { page } = desktop;

  await t.test('sign up: the rule is shown and checked, then "check your email"', async () => {
    await page.goto('/signup');
    await page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    await checkPage(page, 'portal-signup');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('too short');
    await page.getByLabel('Team name').fill('A team with a rather long name that must wrap nicely on phones');
    await page.getByRole('button', { name: 'Sign up' }).click();
    const pw = page.getByLabel('Password');
    assert.equal(await pw.getAttribute('aria-invalid'), 'true', 'the short password is marked on its field');
    await page.getByText('Use at least 12 characters (this one has 9).').waitFor();
    await pw.fill(password);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await page.getByText(email).waitFor();
    await checkPage(page, 'portal-check-email');
  });

  await t.test('the verification link verifies the address (once)', async () => {
    const link = await mailedLink(node, email, 'verify-email');
    assert.equal(new URL(link).pathname, '/verify-email');
    await page.goto(link);
    await page.getByText('Your address is verified.').waitFor();
    await checkPage(page, 'portal-verified');
    await page.goto(link);
    await page.getByText('This link did not work').waitFor();
  });

  await t.test('a wrong password is refused on the form; log in returns to ?next=', async () => {
    await logIn(page, email, 'not the right password');
    await page.getByRole('alert').waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    await checkPage(page, 'portal-login-error');
    await logIn(page, email, password, '/account');
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/account');
    await page.getByText('verified', { exact: true }).waitFor();
    await checkPage(page, 'portal-account');
  });

  await t.test('team page: the owner sees members and invites by email', async () => {
    await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Team' }).click();
    await page.getByRole('heading', { level: 2, name: 'Members' }).waitFor();
    await page.getByRole('cell', { name: email, exact: true }).waitFor();
    await page.getByLabel('Email').fill('colleague@example.com');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('Invitation sent to colleague@example.com.').waitFor();
    await page.getByRole('cell', { name: 'colleague@example.com', exact: true }).waitFor();
    await mailedLink(node, 'colleague@example.com', 'invite');
    await checkPage(page, 'portal-team');
  });

  await t.test('log out: the header offers log in again, account pages send to login', async () => {
    await page.goto('/account');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    await page.goto('/account');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('next'), '/account');
  });

  await t.test('forgot password → mailed reset link → new password works, the old one does not', async () => {
    await page.goto('/forgot-password');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('a message with a reset link is on its way').waitFor();
    const link = await mailedLink(node, email, 'reset-password');
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    await checkPage(page, 'portal-reset');
    await page.locator('input[name="password"]').fill(newPassword);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('Your password is changed').waitFor();
    await logIn(page, email, password);
    await page.getByRole('alert').waitFor();
    await logIn(page, email, newPassword);
    await page.getByRole('heading', { level: 1, name: 'APIs, ready when you are' }).waitFor();
    await page.getByRole('link', { name: email }).waitFor();
  });
  assertNoPageProblems(desktop);
  await desktop.context.close();

  await t.test('the invited colleague: log in from the invitation link, accept, a developer sees no owner controls', async () => {
    const colleague = await openPage(browser, node.adminUrl);
    const p = colleague.page;
    await p.goto('/signup');
    await p.getByLabel('Email').fill('colleague@example.com');
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign up' }).click();
    await p.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    const invitation = await mailedLink(node, 'colleague@example.com', 'invite');
    await p.goto(invitation);
    // Logged-in only: to the login page and back to the invitation.
    await p.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await p.getByLabel('Email').fill('colleague@example.com');
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('heading', { level: 1, name: 'Join a team' }).waitFor();
    await checkPage(p, 'portal-accept-invitation');
    await p.getByRole('button', { name: 'Accept invitation' }).click();
    await p.getByRole('heading', { level: 1, name: /^Team A team with a rather long name/ }).waitFor();
    await p.getByRole('cell', { name: email, exact: true }).waitFor();
    await p.getByText('developer', { exact: true }).first().waitFor();
    assert.equal(await p.getByRole('heading', { name: 'Invite a member' }).count(), 0, 'no invitations for developers');
    assert.equal(await p.getByRole('button', { name: /^Remove / }).count(), 0, 'no removing for developers');
    await p.getByRole('button', { name: 'Leave team' }).waitFor();
    assertNoPageProblems(colleague);
    await colleague.context.close();
  });

  await t.test('phone width (375 px): sign-up, login, account and team pages', async () => {
    const phone = await openPage(browser, node.adminUrl, 375);
    await phone.page.goto('/signup');
    await phone.page.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    await checkPage(phone.page, 'portal-signup-phone');
    await logIn(phone.page, email, newPassword, '/team');
    await phone.page.getByRole('heading', { level: 2, name: 'Members' }).waitFor();
    await phone.page.getByRole('cell', { name: email, exact: true }).waitFor();
    await checkPage(phone.page, 'portal-team-phone');
    await phone.page.goto('/account');
    await phone.page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    await checkPage(phone.page, 'portal-account-phone');
    assertNoPageProblems(phone);
    await phone.context.close();
  });
});
