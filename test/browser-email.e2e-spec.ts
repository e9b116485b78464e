import { ParsedMail } from 'mailparser';
import { BrowserContext, Page } from 'playwright-core';
import { login, me, PASSWORD, refresh, register, uniqueEmail } from './support/auth-client';
import { DemoWithMail, logInOnPage, pageStatus, screenshot, watchProblems } from './support/browser';
import { TestMailbox } from './support/mailbox';
import { TestApp } from './support/test-app';

const NEW_PASSWORD = 'a fresh passphrase chosen in the browser';
/** Mail goes through the outbox and a sender that polls: give it a few seconds, never an open-ended wait. */
const MAIL_TIMEOUT_MS = 15_000;

/**
 * The links in real emails (a real SMTP server in this process), opened in the demo page in headless Chromium:
 * a forgotten password reset from the page, and an address verified only by the click, never by opening the link.
 * PGlite only: the flows' server side is covered on both databases by recovery.e2e-spec.ts.
 */
describe('links from emails in the demo page [PGlite, headless Chromium, SMTP]', () => {
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

  /** A new browser profile: its own cookie jar, like another device. */
  const device = () => devices.add();

  const open = (context: BrowserContext, url?: string) => demo.open(context, url);

  /** The first mail to `email` (received or still to come) that `matches`. */
  function mailTo(email: string, matches: (message: ParsedMail) => boolean): Promise<ParsedMail> {
    return mailbox.waitFor(
      (message) => JSON.stringify(message.to ?? '').includes(email) && matches(message),
      MAIL_TIMEOUT_MS,
    );
  }

  /** The link of `kind` in a message's plain-text part, on a line of its own. */
  function linkIn(message: ParsedMail, kind: string): string {
    const line = new RegExp(`^${origin.replace(/\./g, '\\.')}/#${kind}=[A-Za-z0-9_-]{43,}$`, 'm');
    const link = line.exec(message.text ?? '')?.[0];
    if (!link) throw new Error(`no ${kind} link on a line of its own in:\n${message.text}`);
    return link;
  }

  const subject = (pattern: RegExp) => (message: ParsedMail) => pattern.test(message.subject ?? '');

  /** Server problems the page reports; the refusals a test provokes on purpose are expected. */
  const unexpected = (problems: string[]) => problems.filter((problem) => !/\b(400|401)\b/.test(problem));

  it('resets a forgotten password from the emailed link: the token leaves the address bar and every session ends', async () => {
    const email = uniqueEmail('page-reset');
    await register(app, email);
    // A laptop stays logged in on the page, and another client through the API, while the phone asks for a reset.
    const laptop = await device();
    const laptopPage = await open(laptop);
    await logInOnPage(laptopPage, email);
    const [laptopCookie] = await laptop.cookies();
    const elsewhere = await login(app, email);

    const phone = await open(await device());
    const problems = watchProblems(phone);
    await pageStatus(phone).getByText('Not logged in').waitFor();
    const forgot = phone.getByRole('form', { name: 'Forgot your password?' });
    await forgot.getByLabel('Email').fill(email);
    await forgot.getByRole('button', { name: 'Send me a link' }).click();
    await forgot.getByText('If an account exists for that address, a link is on its way.').waitFor();

    const link = linkIn(await mailTo(email, subject(/reset/i)), 'reset-password');
    const token = link.split('=')[1];
    // This tab shows the page already: only the fragment changes, and the page must notice without a new load.
    await phone.evaluate(() => Object.assign(globalThis, { sameDocument: true }));
    await phone.goto(link);
    const reset = phone.getByRole('form', { name: 'Choose a new password' });
    await reset.waitFor();
    expect(phone.url()).toBe(`${origin}/`);
    expect(phone.url()).not.toContain(token);
    expect(await phone.evaluate(() => 'sameDocument' in globalThis)).toBe(true);

    // A password the policy refuses: the server says why, and the same link and form still work.
    await reset.getByLabel('New password').fill('too short');
    await reset.getByRole('button', { name: 'Set the new password' }).click();
    await expect(phone.getByRole('alert').innerText()).resolves.toContain(
      'newPassword must be at least 15 characters long',
    );
    expect(await reset.isVisible()).toBe(true);
    expect(await reset.getByLabel('New password').getAttribute('autocomplete')).toBe('new-password');

    await reset.getByLabel('New password').fill(NEW_PASSWORD);
    await reset.getByRole('button', { name: 'Set the new password' }).click();
    await phone.getByText('Your password was changed: log in with it.').waitFor();
    expect(await phone.getByRole('alert').isVisible()).toBe(false);
    expect(await reset.isVisible()).toBe(false);
    expect(phone.url()).toBe(`${origin}/`);
    await screenshot(phone, 'demo-reset');
    expect(unexpected(problems)).toEqual([]);

    await app.http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(401);
    await login(app, email, NEW_PASSWORD);
    // Sessions started before the reset are over, on the page's device and elsewhere, access tokens included.
    await refresh(app, `${laptopCookie.name}=${laptopCookie.value}`).expect(401);
    await refresh(app, elsewhere.cookie).expect(401);
    await me(app, elsewhere.accessToken).expect(401);
    await laptopPage.getByRole('button', { name: 'Who am I?' }).click();
    await pageStatus(laptopPage).getByText('Not logged in').waitFor();
    // The owner is told, with no link in the notice.
    const notice = await mailTo(email, subject(/^Your password was changed$/));
    expect(notice.text).not.toContain('#reset-password=');
  });

  it('shows an unverified address and sends the link again; opening the link changes nothing, the button verifies', async () => {
    const email = uniqueEmail('page-verify');
    await register(app, email);
    const first = linkIn(await mailTo(email, subject(/confirm/i)), 'verify-email');
    const session = await login(app, email);
    const context = await device();
    const verifications: string[] = [];
    context.on('request', (request) => {
      if (request.url().endsWith('/api/auth/verify-email')) verifications.push(request.method());
    });
    const page = await open(context);
    await logInOnPage(page, email);
    const verifiedFact = (on: Page) => on.locator('#whoami dd').nth(1);
    await expect(verifiedFact(page).innerText()).resolves.toBe('Not yet');
    await page.getByRole('button', { name: 'Send the link again' }).click();
    await page.getByText('A new link is on its way.').waitFor();
    const resent = await mailTo(email, (m) => subject(/confirm/i)(m) && !(m.text ?? '').includes(first));
    const link = linkIn(resent, 'verify-email');

    // Opened as from a mail client (a fresh load, in a new tab) or by a link scanner: nothing is sent by itself.
    const tab = await open(context, link);
    const problems = watchProblems(tab);
    const confirm = tab.getByRole('button', { name: 'Confirm my email address' });
    await confirm.waitFor();
    await pageStatus(tab).getByText(`Logged in as ${email}`).waitFor();
    expect(tab.url()).toBe(`${origin}/`);
    // Long enough for anything the page would send by itself on load to have gone out.
    await tab.waitForTimeout(500);
    expect(verifications).toEqual([]);
    expect((await me(app, session.accessToken).expect(200)).body.emailVerified).toBe(false);

    await confirm.click();
    await tab.getByText('Your address is verified.').waitFor();
    expect(verifications).toEqual(['POST']);
    await expect(verifiedFact(tab).innerText()).resolves.toBe('Yes');
    expect(await tab.getByRole('button', { name: 'Send the link again' }).isVisible()).toBe(false);
    expect((await me(app, session.accessToken).expect(200)).body.emailVerified).toBe(true);
    expect(unexpected(problems)).toEqual([]);
  });

  it('moves the account to a new address from the emailed link, only when the button is pressed', async () => {
    const email = uniqueEmail('page-old');
    const newEmail = uniqueEmail('page-new');
    await register(app, email);
    const session = await login(app, email);
    await app
      .http()
      .post('/api/users/me/email')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .send({ newEmail, currentPassword: PASSWORD })
      .expect(202);
    const link = linkIn(await mailTo(newEmail, subject(/new email/i)), 'confirm-email');

    const page = await open(await device(), link);
    const problems = watchProblems(page);
    const use = page.getByRole('button', { name: 'Use this address for my account' });
    await use.waitFor();
    expect(page.url()).toBe(`${origin}/`);
    await page.waitForTimeout(500);
    expect((await me(app, session.accessToken).expect(200)).body.email).toBe(email);

    await use.click();
    await page.getByText('Your account now uses this address.').waitFor();
    await login(app, newEmail);
    expect(unexpected(problems)).toEqual([]);
    // Told at both ends; the session that asked for the change lives on.
    await mailTo(newEmail, subject(/^Your email address was changed$/));
    await mailTo(email, subject(/^Your account no longer uses this email address$/));
    expect((await me(app, session.accessToken).expect(200)).body.email).toBe(newEmail);
  });
});
