import { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { buildDemoPage, Devices, launchChromium, screenshot, watchProblems } from './support/browser';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';

/** What the page did that a test may have to account for: its problems, and every refusal from the app. */
interface Watched {
  /** Console errors, page errors and failed requests. */
  problems: string[];
  /** `<status> <method> <path>` of every 4xx and 5xx answer from the app, in order. */
  refusals: string[];
}

/** Where a page with no session starts: the restore from the (absent) refresh cookie is refused. */
const NO_SESSION_YET = '401 POST /api/auth/refresh';

/**
 * Passkeys and the authenticator app's QR code in the demo page, in headless Chromium with its virtual
 * authenticator (over CDP). A passkey needs a domain name for its RP id, never an IP address: the app listens on
 * 127.0.0.1 and the browser opens it as `http://localhost:<port>`, which is also APP_URL and PUBLIC_URL.
 * PGlite only: the server side is covered by its own end-to-end suite.
 */
describe('passkeys in the demo page [PGlite, headless Chromium, virtual authenticator]', () => {
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  beforeAll(async () => {
    buildDemoPage();
    // APP_URL (and so the RP id and the allowed origins) names the port: pick it before the app starts.
    const port = await freePort();
    origin = `http://localhost:${port}`;
    app = await TestApp.start('pglite', { env: { APP_URL: origin, PUBLIC_URL: origin } });
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

  function watch(page: Page): Watched {
    const problems = watchProblems(page);
    const refusals: string[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin === origin && response.status() >= 400) {
        refusals.push(`${response.status()} ${response.request().method()} ${url.pathname}`);
      }
    });
    return { problems, refusals };
  }

  /**
   * The problems left once the app's refusals that `watched.refusals` lists are taken out: Chromium logs each
   * refused fetch as "Failed to load resource … status of 4xx", without saying which request it was.
   */
  function unexplained(watched: Watched): string[] {
    const statuses = watched.refusals.map((refusal) => refusal.split(' ')[0]);
    return watched.problems.filter((problem) => {
      const refused = /^console: Failed to load resource: the server responded with a status of (\d{3})/.exec(
        problem,
      );
      if (!refused) return true;
      const index = statuses.indexOf(refused[1]);
      if (index < 0) return true;
      statuses.splice(index, 1);
      return false;
    });
  }

  async function open(context: BrowserContext): Promise<{ page: Page; watched: Watched }> {
    const page = await context.newPage();
    const watched = watch(page);
    await page.goto(origin);
    return { page, watched };
  }

  const status = (page: Page) => page.getByRole('status');

  async function expectLoggedIn(page: Page, email: string): Promise<void> {
    await status(page).getByText(`Logged in as ${email}`).waitFor();
  }

  async function passwordLogin(page: Page, email: string): Promise<void> {
    await status(page).getByText('Not logged in').waitFor();
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
  }

  it('shows the setup link of the authenticator app as a QR code beside its text', async () => {
    const email = uniqueEmail('qr');
    await register(app, email);
    const { page, watched } = await open(await devices.add());
    await passwordLogin(page, email);
    await expectLoggedIn(page, email);

    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    const qr = page.getByRole('img', { name: /^QR code of the setup link/ });
    await qr.waitFor();
    expect(await page.locator('#totp-url').innerText()).toMatch(/^otpauth:\/\/totp\//);
    // An inline <svg> (no data: image for the CSP to refuse), big enough for a camera, with many dark modules.
    expect(await qr.evaluate((node) => node.tagName.toLowerCase())).toBe('svg');
    const box = await qr.boundingBox();
    expect(box?.width).toBeGreaterThanOrEqual(150);
    expect(box?.height).toBe(box?.width);
    const squares = await qr
      .locator('path')
      .evaluate((path) => path.getAttribute('d')?.split('z').length ?? 0);
    expect(squares).toBeGreaterThan(200);
    await screenshot(page, 'demo-totp-qr');

    // The code disappears with the secret once setup is left (here: by logging out).
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await status(page).getByText('Not logged in').waitFor();
    expect(await page.locator('#totp-qr svg').count()).toBe(0);

    expect(watched.refusals).toEqual([NO_SESSION_YET]);
    expect(unexplained(watched)).toEqual([]);
  });
});
