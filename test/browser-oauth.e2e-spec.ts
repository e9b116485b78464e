import { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { decodeJwt, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { Devices, launchChromium, screenshot, watchProblems, buildDemoPage } from './support/browser';
import { TestOidcProvider } from './support/oidc-provider';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';
import { verifyAddress } from './support/verified-sign-up';

const CLIENT_ID = 'gatehouse-browser';
const CLIENT_SECRET = 'the corp client secret of the browser suite';
/** The provider's development pages import Roboto from Google: no part of the flow, and refused offline. */
const GOOGLE_FONTS = 'https://fonts.googleapis.com/';

/** What the page did that a test may have to account for: its problems, and every refusal from the app. */
interface Watched {
  /** Console errors, page errors and failed requests, the Google fonts of the provider's pages left out. */
  problems: string[];
  /** `<status> <method> <path>` of every 4xx and 5xx answer from the app, in order. */
  refusals: string[];
}

/**
 * Sign-in with another provider in the demo page, in headless Chromium: a real OpenID provider (oidc-provider,
 * its development login and consent pages) on `localhost`, Gatehouse on `127.0.0.1`, so the way back from the
 * provider is a genuinely cross-site navigation, as in production. PGlite only: the server side is covered on
 * both databases by oauth.e2e-spec.ts.
 */
describe('sign-in with another provider in the demo page [PGlite, headless Chromium, OpenID provider]', () => {
  let provider: TestOidcProvider;
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  beforeAll(async () => {
    buildDemoPage();
    // The callback URL the provider allows names the app's port: pick it before either starts.
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    provider = await TestOidcProvider.start({
      host: 'localhost',
      clients: [
        {
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          redirectUris: [`${origin}/api/auth/oauth/corp/callback`],
        },
      ],
    });
    app = await TestApp.start('pglite', {
      env: {
        PUBLIC_URL: origin,
        APP_URL: origin,
        OAUTH_PROVIDERS: 'corp',
        OAUTH_CORP_ISSUER: provider.issuer,
        OAUTH_CORP_CLIENT_ID: CLIENT_ID,
        OAUTH_CORP_CLIENT_SECRET: CLIENT_SECRET,
        OAUTH_CORP_NAME: 'Corp',
        OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
      },
    });
    await app.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await provider?.stop();
  });
  afterEach(async () => {
    await devices.closeAll();
  });

  /** A new browser profile (its own cookies, at the app and at the provider), with Google's fonts refused at once. */
  async function device(): Promise<BrowserContext> {
    const context = await devices.add();
    await context.route(`${GOOGLE_FONTS}**`, (route) => route.abort());
    return context;
  }

  function watch(page: Page): Watched {
    const all = watchProblems(page);
    // Chromium also logs each refused font on the console, where only the message's location names it.
    const fontMessages: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && message.location().url.startsWith(GOOGLE_FONTS)) {
        fontMessages.push(`console: ${message.text()}`);
      }
    });
    const refusals: string[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin === origin && response.status() >= 400) {
        refusals.push(`${response.status()} ${response.request().method()} ${url.pathname}`);
      }
    });
    return {
      get problems() {
        const left = all.filter((problem) => !problem.startsWith(`request failed: ${GOOGLE_FONTS}`));
        for (const message of fontMessages) {
          const index = left.indexOf(message);
          if (index >= 0) left.splice(index, 1);
        }
        return left;
      },
      refusals,
    };
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

  /** Where a page with no session starts: the restore from the (absent) refresh cookie is refused. */
  const NO_SESSION_YET = '401 POST /api/auth/refresh';

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

  /** The provider's development pages: any password for a known `sub`, then the consent page. */
  async function signInAtProvider(page: Page, sub: string): Promise<void> {
    await page.waitForURL((url) => url.origin === provider.issuer);
    const login = page.locator('form:has(input[name="login"])');
    await login.locator('input[name="login"]').fill(sub);
    await login.locator('input[name="password"]').fill('any password: development login');
    await login.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === origin);
  }

  /** The rows of the "Other ways to sign in" table: provider and email. */
  async function identityRows(page: Page): Promise<string[][]> {
    const rows = await page.locator('#identities tbody tr').all();
    return Promise.all(
      rows.map((row) => Promise.all([0, 1].map((cell) => row.locator('td').nth(cell).innerText()))),
    );
  }

  /** The browser's cookies for the app, whatever their path (the refresh cookie's is /api/auth). */
  async function appCookies(context: BrowserContext): Promise<Cookie[]> {
    return (await context.cookies()).filter((cookie) => cookie.domain === new URL(origin).hostname);
  }

  /** The session (refresh-token family) of the browser's refresh cookie at the app. */
  async function sessionOf(context: BrowserContext): Promise<unknown> {
    const cookies = (await appCookies(context)).filter((cookie) => cookie.name === 'refresh_token');
    expect(cookies).toHaveLength(1);
    return decodeJwt(cookies[0].value).payload.sid;
  }

  it('signs in with Corp through its login and consent pages, and stays signed in after a reload', async () => {
    const sub = `corp-${Date.now()}`;
    const email = uniqueEmail('corp-browser');
    provider.account({ sub, email, emailVerified: true, name: 'Ada Corp' });
    const { page, watched } = await open(await device());
    await status(page).getByText('Not logged in').waitFor();

    const signIn = page
      .getByRole('form', { name: 'Log in' })
      .getByRole('link', { name: 'Sign in with Corp' });
    // The browser's DPoP key is named at start (RFC 9449 §10), so the session is bound from its first token.
    expect(await signIn.getAttribute('href')).toMatch(
      new RegExp(`^${origin.replace(/\./g, '\\.')}/api/auth/oauth/corp/start\\?dpop_jkt=[A-Za-z0-9_-]{43}$`),
    );
    await signIn.click();
    await signInAtProvider(page, sub);

    await expectLoggedIn(page, email);
    expect(page.url()).toBe(`${origin}/`);
    await expect(page.locator('#whoami dd').first().innerText()).resolves.toBe(email);
    await page.locator('#identities tbody tr').first().waitFor();
    expect(await identityRows(page)).toEqual([['Corp', email]]);
    // The session is in the refresh cookie (HttpOnly, out of the page's reach), and the transaction is over; the
    // browser's device cookie, HttpOnly too, was set with it.
    const cookies = await appCookies(page.context());
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly]).sort()).toEqual([
      ['gh_device', true],
      ['refresh_token', true],
    ]);
    const readable = await page.evaluate(
      () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
    );
    expect(readable).toBe('');
    await screenshot(page, 'demo-oauth-signed-in');

    await page.reload();
    await expectLoggedIn(page, email);
    await page.locator('#identities tbody tr').first().waitFor();

    // Signed up through Corp, no password: Corp is the only way in, and the server refuses to unlink it.
    const [identity] = await app.query<{ id: string }>(
      'SELECT i.id FROM user_identities i JOIN users u ON u.id = i.user_id WHERE u.email = $1',
      [email],
    );
    await page.getByRole('button', { name: `Unlink the Corp account ${email}` }).click();
    await expect(page.getByRole('alert').innerText()).resolves.toContain('the last way to sign in');
    expect(await identityRows(page)).toEqual([['Corp', email]]);

    expect(watched.refusals).toEqual([NO_SESSION_YET, `409 DELETE /api/auth/identities/${identity.id}`]);
    expect(unexplained(watched)).toEqual([]);
  });

  it('comes back with ?oauth_error=account_exists for an address that has an account: a sentence, and a clean address', async () => {
    const email = uniqueEmail('corp-exists');
    await register(app, email);
    const sub = `corp-exists-${Date.now()}`;
    provider.account({ sub, email, emailVerified: true });
    const { page, watched } = await open(await device());
    const landings: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && frame.url().startsWith(origin)) landings.push(frame.url());
    });

    await page.getByRole('link', { name: 'Sign in with Corp' }).click();
    await signInAtProvider(page, sub);

    await expect(page.getByRole('alert').innerText()).resolves.toBe(
      'An account with this email already exists: sign in with your password, then link Corp from your account.',
    );
    expect(landings).toContain(`${origin}/?oauth_error=account_exists`);
    expect(page.url()).toBe(`${origin}/`);
    await status(page).getByText('Not logged in').waitFor();
    expect(await appCookies(page.context())).toEqual([]);
    await screenshot(page, 'demo-oauth-account-exists');

    // A reload does not show the message again: it left the address bar.
    await page.reload();
    await status(page).getByText('Not logged in').waitFor();
    expect(await page.getByRole('alert').isVisible()).toBe(false);

    // One refused restore for each of the three loads without a session.
    expect(watched.refusals).toEqual([NO_SESSION_YET, NO_SESSION_YET, NO_SESSION_YET]);
    expect(unexplained(watched)).toEqual([]);
  });

  it('links Corp to a password account from the signed-in page, lists it, and unlinks it', async () => {
    const email = uniqueEmail('corp-link');
    const corpEmail = uniqueEmail('at-corp');
    await register(app, email);
    // Linking a provider needs an address its owner has proven: from the link in the outbox.
    await verifyAddress(app, email);
    const sub = `corp-link-${Date.now()}`;
    provider.account({ sub, email: corpEmail, emailVerified: true });
    const { page, watched } = await open(await device());
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
    await expectLoggedIn(page, email);
    await page.getByText('No account at another provider is linked yet.').waitFor();
    const session = await sessionOf(page.context());

    await page.getByRole('button', { name: 'Link Corp' }).click();
    await signInAtProvider(page, sub);

    // Back with the same session: no new one was started, the page restored this one from its cookie.
    await expectLoggedIn(page, email);
    expect(page.url()).toBe(`${origin}/`);
    await page.locator('#identities tbody tr').first().waitFor();
    expect(await identityRows(page)).toEqual([['Corp', corpEmail]]);
    expect(await sessionOf(page.context())).toBe(session);
    expect(await page.getByRole('alert').isVisible()).toBe(false);
    await screenshot(page, 'demo-oauth-linked');

    await page.getByRole('button', { name: `Unlink the Corp account ${corpEmail}` }).click();
    await page.getByText('No account at another provider is linked yet.').waitFor();
    expect(await page.locator('#identities tbody tr').count()).toBe(0);
    expect(await app.query('SELECT 1 FROM user_identities WHERE subject = $1', [sub])).toEqual([]);
    await page.reload();
    await expectLoggedIn(page, email);
    await page.getByText('No account at another provider is linked yet.').waitFor();

    expect(watched.refusals).toEqual([NO_SESSION_YET]);
    expect(unexplained(watched)).toEqual([]);
  });
});
