import { ParsedMail } from 'mailparser';
import { BrowserContext } from 'playwright-core';
import { uniqueEmail } from './support/auth-client';
import { DemoWithMail, logInOnPage, screenshot, watchProblems } from './support/browser';
import { TestMailbox } from './support/mailbox';
import { sentTo } from './support/outbox';
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
  const demo = new DemoWithMail();
  const { devices } = demo;
  let mailbox: TestMailbox;
  let app: TestApp;
  let origin: string;

  beforeAll(async () => {
    ({ mailbox, app, origin } = await demo.start({ THROTTLE_RECOVERY_LIMIT: '1000' }));
  });
  afterAll(() => demo.stop());
  afterEach(() => devices.closeAll());

  const open = (context: BrowserContext, url?: string) => demo.open(context, url);

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
