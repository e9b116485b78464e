import { ParsedMail } from 'mailparser';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, uniqueEmail } from './support/auth-client';
import { buildDemoPage, Devices, launchChromium, screenshot, watchProblems } from './support/browser';
import { TestMailbox } from './support/mailbox';
import { sentTo } from './support/outbox';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';
import { signUpVerified } from './support/verified-sign-up';

/** Mail goes through the outbox and a sender that polls: give it a few seconds, never an open-ended wait. */
const MAIL_TIMEOUT_MS = 15_000;

/**
 * Organizations in the demo page, in headless Chromium: one user makes an organization, switches to it, adds a
 * project and invites a second user by mail (a real SMTP server in this process); the second user opens the
 * mailed link signed out, signs in, accepts, switches and sees the project. PGlite only: what is under test is
 * the page and the client; the routes are covered on both databases by orgs, invitations and projects suites.
 */
describe('organizations in the demo page [PGlite, headless Chromium, SMTP]', () => {
  let mailbox: TestMailbox;
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  beforeAll(async () => {
    buildDemoPage();
    mailbox = await TestMailbox.start();
    // The app must know its origin before it listens: it goes in the mailed links and the DPoP proofs name it.
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await TestApp.start('pglite', {
      env: { SMTP_URL: mailbox.url, APP_URL: origin, PUBLIC_URL: origin, THROTTLE_RECOVERY_LIMIT: '1000' },
    });
    await app.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await mailbox?.stop();
  });
  afterEach(async () => {
    await devices.closeAll();
  });

  async function open(context: BrowserContext, url = origin): Promise<Page> {
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  const status = (page: Page) => page.getByRole('status');

  async function logInOnPage(page: Page, email: string): Promise<void> {
    await status(page).getByText('Not logged in').waitFor();
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await status(page).getByText(`Logged in as ${email}`).waitFor();
  }

  /** The `#invitation=` link on a line of its own in the invitation mailed to `email`. */
  async function invitationLinkTo(email: string): Promise<string> {
    const message: ParsedMail = await mailbox.waitFor(
      (mail) => sentTo(email)(mail) && /^Invitation to join/.test(mail.subject ?? ''),
      MAIL_TIMEOUT_MS,
    );
    const line = new RegExp(`^${origin.replace(/\./g, '\\.')}/#invitation=[A-Za-z0-9_-]{43,}$`, 'm');
    const link = line.exec(message.text ?? '')?.[0];
    if (!link) throw new Error(`no invitation link on a line of its own in:\n${message.text}`);
    return link;
  }

  /** Problems the pages report, but for the refused restores of pages opened signed out (401). */
  const unexpected = (problems: string[]) => problems.filter((problem) => !/\b401\b/.test(problem));

  it('makes an organization and a project, invites by mail; the invitee joins from the link and sees the project', async () => {
    const ownerEmail = uniqueEmail('org-owner');
    const inviteeEmail = uniqueEmail('org-invitee');
    // Both verified (accepting needs the invited address, verified), through the links the app mailed.
    const [, invitee] = await Promise.all([
      signUpVerified(app, ownerEmail, mailbox),
      signUpVerified(app, inviteeEmail, mailbox),
    ]);
    const orgName = `Acme ${Date.now().toString(36)}`;
    const projectName = 'Website relaunch';

    // The owner makes the organization, switches to it, adds a project and invites the invitee.
    const owner = await open(await devices.add());
    const ownerProblems = watchProblems(owner);
    await logInOnPage(owner, ownerEmail);
    await owner.locator('#org-active').getByText('No organization is active').waitFor();
    await owner.locator('#org-name').fill(orgName);
    await owner.getByRole('button', { name: 'Create the organization' }).click();
    await owner.locator('#orgs-outcome').getByText(`“${orgName}” is yours`).waitFor();
    const orgRow = owner.locator('#orgs tbody tr', { hasText: orgName });
    const orgId = (await orgRow.getAttribute('id'))!.replace(/^org-/, '');
    await expect(orgRow.locator('td').nth(1).innerText()).resolves.toBe('owner');
    expect(await owner.locator('#active-org').isVisible()).toBe(false);

    await owner.locator(`#org-switch-${orgId}`).click();
    await owner.locator('#org-active').getByText(`Acting in “${orgName}” as owner.`).waitFor();
    await owner.locator('#members tbody tr', { hasText: ownerEmail }).waitFor();
    await owner.locator('#project-name').fill(projectName);
    await owner.getByRole('button', { name: 'Add the project' }).click();
    await owner.locator('#projects li', { hasText: projectName }).waitFor();
    await owner.locator('#invite-email').fill(inviteeEmail);
    await owner.locator('#invite-role').selectOption('member');
    await owner.getByRole('button', { name: 'Send the invitation' }).click();
    await owner.locator('#invitations tbody tr', { hasText: inviteeEmail }).waitFor();
    expect(await owner.locator('#activity').innerText()).toContain('to act in another organization');

    // The invitee opens the mailed link signed out: the token leaves the address bar and waits for the sign-in.
    const link = await invitationLinkTo(inviteeEmail);
    const guest = await open(await devices.add(), link);
    const guestProblems = watchProblems(guest);
    await guest.locator('#invitation-sign-in-hint').waitFor();
    expect(guest.url()).toBe(`${origin}/`);
    expect(await guest.locator('#invitation-actions').isVisible()).toBe(false);
    await logInOnPage(guest, inviteeEmail);
    await guest.locator('#invitation-accept-button').click();
    await guest
      .locator('#invitation-outcome')
      .getByText(`You are a member of “${orgName}” as member`)
      .waitFor();

    // A member reads the projects but may neither add one nor invite.
    await guest.locator(`#org-switch-${orgId}`).click();
    await guest.locator('#org-active').getByText(`Acting in “${orgName}” as member.`).waitFor();
    await guest.locator('#projects li', { hasText: projectName }).waitFor();
    expect(await guest.locator('#project-form').isVisible()).toBe(false);
    expect(await guest.locator('#org-invitations').isVisible()).toBe(false);
    await screenshot(guest, 'demo-orgs-member');

    // The owner sees the new member, whose role they may change, and no invitation left pending.
    await owner.locator('#org-reload-button').click();
    const memberRow = owner.locator('#members tbody tr', { hasText: inviteeEmail });
    await memberRow.waitFor();
    await expect(owner.locator(`#member-role-${invitee.userId}`).inputValue()).resolves.toBe('member');
    await owner.locator('#invitations-empty').waitFor();
    await screenshot(owner, 'demo-orgs-owner');

    expect(unexpected(ownerProblems)).toEqual([]);
    expect(unexpected(guestProblems)).toEqual([]);
  });
});
