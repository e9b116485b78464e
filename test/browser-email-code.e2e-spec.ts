import { ParsedMail } from 'mailparser';
import { BrowserContext, Page, Request } from 'playwright-core';
import { register, uniqueEmail } from './support/auth-client';
import { DemoWithMail, pageStatus, screenshot, watchProblems } from './support/browser';
import { TestMailbox } from './support/mailbox';
import { sentTo } from './support/outbox';
import { TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';
import { signUpVerified } from './support/verified-sign-up';

/** Mail goes through the outbox and a sender that polls: give it a few seconds, never an open-ended wait. */
const MAIL_TIMEOUT_MS = 15_000;
const VERIFY_ROUTE = '/api/auth/email-code/verify';

/**
 * Signing in with a code by email in the demo page, in headless Chromium, the code read from a real mail (a real
 * SMTP server in this process): a wrong code first, then the right one; and with two-factor sign-in on, the
 * authenticator step that follows, as after a password. PGlite only: what is under test is the page and the
 * client; the server side of the codes is the API suites'.
 */
describe('sign-in with a code by email in the demo page [PGlite, headless Chromium, SMTP]', () => {
  const demo = new DemoWithMail();
  const { devices } = demo;
  let mailbox: TestMailbox;
  let app: TestApp;

  beforeAll(async () => {
    ({ mailbox, app } = await demo.start({ THROTTLE_RECOVERY_LIMIT: '1000' }));
  });
  afterAll(() => demo.stop());
  afterEach(() => devices.closeAll());

  /** The code of the sign-in mail to `email`: eight digits alone on a line of the text, none in the subject. */
  async function mailedCode(email: string): Promise<string> {
    const isCodeMail = (message: ParsedMail) =>
      sentTo(email)(message) && message.subject === 'Your sign-in code';
    const message = await mailbox.waitFor(isCodeMail, MAIL_TIMEOUT_MS);
    const code = /^(\d{8})$/m.exec(message.text ?? '')?.[1];
    if (!code) throw new Error(`no 8-digit code on a line of its own in:\n${message.text}`);
    return code;
  }

  /** Eight digits that are not `code`. */
  const otherThan = (code: string) => String((Number(code) + 1) % 10 ** 8).padStart(8, '0');

  /** Server refusals the page reports in the console; the ones a test provokes on purpose are expected. */
  const unexpected = (problems: string[]) => problems.filter((problem) => !/\b401\b/.test(problem));

  const codeCard = (page: Page) => page.getByRole('region', { name: 'Sign in with a code' });

  /** The verify requests the page sends, with whether each carried a DPoP proof. */
  function watchVerifications(context: BrowserContext): { withProof: boolean }[] {
    const seen: { withProof: boolean }[] = [];
    context.on('request', (request: Request) => {
      if (request.url().endsWith(VERIFY_ROUTE)) seen.push({ withProof: 'dpop' in request.headers() });
    });
    return seen;
  }

  /** Asks for a code in the page's form, and waits for the code step. */
  async function askForCode(page: Page, email: string): Promise<void> {
    await pageStatus(page).getByText('Not logged in').waitFor();
    const card = codeCard(page);
    await card.getByLabel('Email', { exact: true }).fill(email);
    await card.getByRole('button', { name: 'Send me a code' }).click();
    await card.getByText(`A code is on its way to ${email}`).waitFor();
  }

  async function enterCode(page: Page, code: string): Promise<void> {
    const card = codeCard(page);
    await card.getByLabel('Code from the email').fill(code);
    await card.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs in with the mailed code: a wrong code shows the error, the right one the signed-in page', async () => {
    const email = uniqueEmail('page-code');
    await register(app, email);
    const context = await devices.add();
    const verifications = watchVerifications(context);
    const page = await demo.open(context);
    const problems = watchProblems(page);
    try {
      await askForCode(page, email);
      const codeField = codeCard(page).getByLabel('Code from the email');
      expect(await codeField.getAttribute('inputmode')).toBe('numeric');
      expect(await codeField.getAttribute('autocomplete')).toBe('one-time-code');
      // The page moves to the code field by itself, where a phone offers the code from the mail.
      const focused = (input: unknown) =>
        input === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
      await expect(codeField.evaluate(focused)).resolves.toBe(true);
      const code = await mailedCode(email);

      await enterCode(page, otherThan(code));
      await expect(page.getByRole('alert').innerText()).resolves.toContain(
        'the code is wrong, used or expired',
      );
      expect(await pageStatus(page).innerText()).toBe('Not logged in');
      expect(await codeField.inputValue()).toBe('');
      await screenshot(page, 'demo-email-code-wrong');

      // The same code still works after one wrong try (five are allowed).
      await enterCode(page, code);
      await pageStatus(page).getByText(`Logged in as ${email}`).waitFor();
      expect(await page.getByRole('alert').isVisible()).toBe(false);
      expect(await codeCard(page).isVisible()).toBe(false);
      // As after a password: the session is bound to this browser's key, and the page shows the account.
      expect(verifications).toEqual([{ withProof: true }, { withProof: true }]);
      await page.locator('#session-binding[data-binding="DPoP"]').waitFor();
      await page.locator('#whoami dd').first().filter({ hasText: email }).waitFor();
      // The code proved the address that registration left unverified.
      await expect(page.locator('#whoami dd').nth(1).innerText()).resolves.toBe('Yes');
      await screenshot(page, 'demo-email-code-signed-in');

      // Used up: the same code signs nobody in again.
      await app.http().post(VERIFY_ROUTE).send({ email, code }).expect(401);
      // Signed out, the form starts from the address again.
      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await pageStatus(page).getByText('Not logged in').waitFor();
      expect(await codeCard(page).getByRole('button', { name: 'Send me a code' }).isVisible()).toBe(true);
      expect(await codeField.isVisible()).toBe(false);
      expect(unexpected(problems)).toEqual([]);
    } catch (error) {
      await screenshot(page, 'browser-email-code');
      throw error;
    }
  });

  it('with two-factor sign-in on, the code leads to the authenticator step, exactly as a password does', async () => {
    const email = uniqueEmail('page-code-mfa');
    const session = await signUpVerified(app, email, mailbox);
    const { authenticator } = await enrolTotp(app, session);
    const page = await demo.open(await devices.add());
    const problems = watchProblems(page);
    try {
      await askForCode(page, email);
      await enterCode(page, await mailedCode(email));

      const prompt = page.getByRole('form', { name: 'Two-factor sign-in' });
      await prompt.waitFor();
      await page.getByText('The code from the email was right.').waitFor();
      expect(await pageStatus(page).innerText()).toBe('Not logged in');
      await prompt.getByLabel('Code from the app').fill(await authenticator.nextCode());
      await prompt.getByRole('button', { name: 'Sign in' }).click();
      await pageStatus(page).getByText(`Logged in as ${email}`).waitFor();
      expect(await prompt.isVisible()).toBe(false);
      await page.locator('#session-binding[data-binding="DPoP"]').waitFor();
      expect(unexpected(problems)).toEqual([]);
    } catch (error) {
      await screenshot(page, 'browser-email-code-mfa');
      throw error;
    }
  });
});
