import { ParsedMail } from 'mailparser';
import { Browser, Page, Response } from 'playwright-core';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { Devices, launchChromium, screenshot, watchProblems, buildDemoPage } from './support/browser';
import { describeEachDatabase } from './support/databases';
import { TestMailbox } from './support/mailbox';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';

/** How old a sign-in may be for the recent routes, in this suite: short, so that the test can outwait it. */
const REAUTH_MAX_AGE_SECONDS = 2;
/** Mail goes through the outbox and a sender that polls: give it a few seconds, never an open-ended wait. */
const MAIL_TIMEOUT_MS = 15_000;
const TOTP_SETUP = '/api/auth/mfa/totp/setup';
const REAUTHENTICATE = '/api/auth/reauthenticate';
const REFRESH = '/api/auth/refresh';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Step-up in the demo page, in headless Chromium (RFC 9470): a route that wants a recent sign-in answers a `401`
 * with `insufficient_user_authentication` and `max_age`; the client neither refreshes nor logs out, the page asks
 * for the password in a dialog, the client sends it to `POST /api/auth/reauthenticate`, and the action the user
 * started (turning two-factor sign-in on) goes on by itself. `REAUTH_MAX_AGE=2s`, so a test outwaits it.
 */
describeEachDatabase('a recent sign-in asked for by the demo page [headless Chromium, SMTP]', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  beforeAll(async () => {
    buildDemoPage();
    mailbox = await TestMailbox.start();
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await TestApp.start(kind, {
      env: {
        SMTP_URL: mailbox.url,
        APP_URL: origin,
        PUBLIC_URL: origin,
        REAUTH_MAX_AGE: `${REAUTH_MAX_AGE_SECONDS}s`,
        THROTTLE_RECOVERY_LIMIT: '1000',
      },
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

  const status = (page: Page) => page.getByRole('status');
  /** The page's error line (the dialog has its own alert, for a refused proof). */
  const alert = (page: Page) => page.locator('#error');
  /** The error line's text, once it is shown. */
  async function alertText(page: Page): Promise<string> {
    await alert(page).waitFor();
    return alert(page).innerText();
  }
  const dialog = (page: Page) => page.getByRole('dialog', { name: 'Confirm it is you' });

  /** Registers, and verifies the address with the token of the link the app mailed. */
  async function verifiedAccount(prefix: string): Promise<string> {
    const email = uniqueEmail(prefix);
    await register(app, email);
    const message = await mailbox.waitFor(
      (mail: ParsedMail) =>
        JSON.stringify(mail.to ?? '').includes(email) && /confirm/i.test(mail.subject ?? ''),
      MAIL_TIMEOUT_MS,
    );
    const link = new RegExp(`^${origin.replace(/\./g, '\\.')}/#verify-email=([A-Za-z0-9_-]{43,})$`, 'm');
    const token = link.exec(message.text ?? '')?.[1];
    if (!token) throw new Error(`no verify-email link in:\n${message.text}`);
    await app.http().post('/api/auth/verify-email').send({ token }).expect(204);
    return email;
  }

  /** A page logged in with the password, recording the answers of the auth routes this suite watches. */
  async function loggedInPage(email: string) {
    const page = await (await devices.add()).newPage();
    const problems = watchProblems(page);
    const answers: string[] = [];
    const challenges: string[] = [];
    page.on('response', (response: Response) => {
      const path = new URL(response.url()).pathname;
      if (![TOTP_SETUP, REAUTHENTICATE, REFRESH].includes(path)) return;
      answers.push(`${response.status()} ${response.request().method()} ${path}`);
      const challenge = response.headers()['www-authenticate'];
      if (challenge) challenges.push(challenge);
    });
    await page.goto(origin);
    await status(page).getByText('Not logged in').waitFor();
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await status(page).getByText(`Logged in as ${email}`).waitFor();
    // Restoring on load refreshed before the login (no cookie yet: a 401); only what follows counts.
    answers.length = 0;
    return { page, problems, answers, challenges };
  }

  /** Longer than REAUTH_MAX_AGE after the login: auth_time is in whole seconds, so a second more. */
  const outwaitTheSignIn = () => sleep((REAUTH_MAX_AGE_SECONDS + 1.2) * 1000);

  it('asks for the password when the sign-in is too old, then turns two-factor sign-in on', async () => {
    const email = await verifiedAccount('reauth-totp');
    const { page, problems, answers, challenges } = await loggedInPage(email);
    try {
      await outwaitTheSignIn();
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();

      // The route refused the old sign-in; the page asks, and nothing refreshed or logged out.
      await dialog(page).waitFor();
      expect(answers).toEqual([`401 POST ${TOTP_SETUP}`]);
      expect(challenges[0]).toMatch(/^Bearer error="insufficient_user_authentication"/);
      expect(challenges[0]).toContain(`max_age=${REAUTH_MAX_AGE_SECONDS}`);
      await expect(dialog(page).innerText()).resolves.toContain('a sign-in from the last 2 seconds');
      expect(await status(page).innerText()).toBe(`Logged in as ${email}`);

      // A wrong password is refused, and asked for again in the same dialog.
      await dialog(page).getByLabel('Password').fill('not the password at all');
      await dialog(page).getByRole('button', { name: 'Confirm' }).click();
      await dialog(page).getByText('That was not right').waitFor();
      expect(answers).toEqual([`401 POST ${TOTP_SETUP}`, `401 POST ${REAUTHENTICATE}`]);

      await dialog(page).getByLabel('Password').fill(PASSWORD);
      await dialog(page).getByRole('button', { name: 'Confirm' }).click();

      // The setup the user asked for went on by itself: the secret and its QR code are shown.
      await page.locator('#totp-secret').filter({ hasText: /\S/ }).waitFor();
      expect((await page.locator('#totp-secret').innerText()).trim()).toMatch(/^[A-Z2-7]+=*$/);
      expect(await page.locator('#totp-url').innerText()).toMatch(/^otpauth:\/\/totp\//);
      await expect(page.locator('#totp-qr svg').count()).resolves.toBe(1);
      expect(await dialog(page).isVisible()).toBe(false);
      expect(await alert(page).isVisible()).toBe(false);
      expect(answers).toEqual([
        `401 POST ${TOTP_SETUP}`,
        `401 POST ${REAUTHENTICATE}`,
        `200 POST ${REAUTHENTICATE}`,
        `200 POST ${TOTP_SETUP}`,
      ]);
      expect(await status(page).innerText()).toBe(`Logged in as ${email}`);
      await page.locator('#activity').getByText('after you confirmed who you are').waitFor();
      expect(problems.filter((problem) => !/status of 401/.test(problem))).toEqual([]);
    } catch (error) {
      await screenshot(page, `browser-reauth-${kind}`);
      throw error;
    }
  });

  it('changes nothing when the dialog is cancelled, and says why', async () => {
    const email = await verifiedAccount('reauth-cancel');
    const { page, answers } = await loggedInPage(email);
    try {
      await outwaitTheSignIn();
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      await dialog(page).waitFor();
      await dialog(page).getByRole('button', { name: 'Cancel' }).click();

      expect(await alertText(page)).toContain('Nothing was changed');
      expect(await dialog(page).isVisible()).toBe(false);
      expect(await page.locator('#totp-setup').isVisible()).toBe(false);
      expect(answers).toEqual([`401 POST ${TOTP_SETUP}`]);
      expect(await status(page).innerText()).toBe(`Logged in as ${email}`);
    } catch (error) {
      await screenshot(page, `browser-reauth-cancel-${kind}`);
      throw error;
    }
  });

  it('tells a user whose address is not verified to verify it first', async () => {
    const email = uniqueEmail('reauth-unverified');
    await register(app, email);
    const { page, answers } = await loggedInPage(email);
    try {
      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      // A slow machine may take the 2 s since the login before the click: then the password is asked first.
      await alert(page).or(dialog(page)).waitFor();
      if (await dialog(page).isVisible()) {
        await dialog(page).getByLabel('Password').fill(PASSWORD);
        await dialog(page).getByRole('button', { name: 'Confirm' }).click();
      }

      expect(await alertText(page)).toContain('Confirm your email address first');
      expect(answers.at(-1)).toBe(`403 POST ${TOTP_SETUP}`);
      expect(await dialog(page).isVisible()).toBe(false);
      expect(await page.locator('#totp-setup').isVisible()).toBe(false);
    } catch (error) {
      await screenshot(page, `browser-reauth-unverified-${kind}`);
      throw error;
    }
  });
});
