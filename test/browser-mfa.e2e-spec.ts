import { Browser, Page } from 'playwright-core';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { Devices, launchChromium, screenshot, buildDemoPage } from './support/browser';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';
import { totpCode } from './support/totp';
import { verifyAddress } from './support/verified-sign-up';

/**
 * The second factor in the demo page, in headless Chromium: turned on from the signed-in view, then asked for by
 * the next password login. PGlite only: the server side is covered by mfa.e2e-spec.ts.
 */
describe('two-factor sign-in in the demo page [PGlite, headless Chromium]', () => {
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  beforeAll(async () => {
    buildDemoPage();
    // The app must know the origin the page reaches it by (PUBLIC_URL): the page's DPoP proofs name it.
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    app = await TestApp.start('pglite', { env: { PUBLIC_URL: origin } });
    await app.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  afterEach(async () => {
    await devices.closeAll();
  });

  const status = (page: Page) => page.getByRole('status');

  async function passwordLogin(page: Page, email: string): Promise<void> {
    await status(page).getByText('Not logged in').waitFor();
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
  }

  it('turns the factor on from the page, then asks for a code at the next login', async () => {
    const email = uniqueEmail('page-mfa');
    await register(app, email);
    // Turning the factor on needs an address its owner has proven: from the link in the outbox.
    await verifyAddress(app, email);
    const page = await (await devices.add()).newPage();
    try {
      await page.goto(origin);
      await passwordLogin(page, email);
      await status(page).getByText(`Logged in as ${email}`).waitFor();

      await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
      // The secret appears once the setup request has answered.
      await page.locator('#totp-secret').filter({ hasText: /\S/ }).waitFor();
      const secret = (await page.locator('#totp-secret').innerText()).trim();
      expect(secret).toMatch(/^[A-Z2-7]+=*$/);
      expect(await page.locator('#totp-url').innerText()).toMatch(/^otpauth:\/\/totp\//);
      const confirm = page.getByRole('form', { name: 'Confirm with a code' });
      await confirm.getByLabel('Code the app shows now').fill(totpCode(secret));
      await confirm.getByRole('button', { name: 'Confirm and turn on' }).click();
      await page.getByText('Two-factor sign-in is on.').waitFor();
      const codes = await page.locator('#recovery-codes li').allInnerTexts();
      expect(codes).toHaveLength(10);

      await page.getByRole('button', { name: 'Log out', exact: true }).click();
      await passwordLogin(page, email);
      const prompt = page.getByRole('form', { name: 'Two-factor sign-in' });
      await prompt.waitFor();
      expect(await status(page).innerText()).toBe('Not logged in');
      // The next step's code: the one used to confirm is never accepted twice.
      await prompt.getByLabel('Code from the app').fill(totpCode(secret, 1));
      await prompt.getByRole('button', { name: 'Sign in' }).click();
      await status(page).getByText(`Logged in as ${email}`).waitFor();
      expect(await prompt.isVisible()).toBe(false);
      const stored = await page.evaluate(() => {
        const web = globalThis as unknown as Record<'localStorage' | 'sessionStorage', { length: number }>;
        return [web.localStorage.length, web.sessionStorage.length];
      });
      expect(stored).toEqual([0, 0]);
    } catch (error) {
      await screenshot(page, 'browser-mfa');
      throw error;
    }
  });
});
