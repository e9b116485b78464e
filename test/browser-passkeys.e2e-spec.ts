import { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { decodeJwt, PASSWORD, register, uniqueEmail } from './support/auth-client';
import {
  buildDemoPage,
  Devices,
  launchChromium,
  screenshot,
  VirtualAuthenticator,
  watchProblems,
} from './support/browser';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';
import { totpCode } from './support/totp';
import { verifyAddress } from './support/verified-sign-up';

/** What the page did that a test may have to account for: its problems, and every refusal from the app. */
interface Watched {
  /** Console errors, page errors and failed requests. */
  problems: string[];
  /** `<status> <method> <path>` of every 4xx and 5xx answer from the app, in order. */
  refusals: string[];
}

/** Where a page with no session starts: the restore from the (absent) refresh cookie is refused. */
const NO_SESSION_YET = '401 POST /api/auth/refresh';
const PASSKEY_LOGIN = '/api/auth/passkeys/login';
/** What an access token from a passkey sign-in says of it (RFC 8176): hardware key, user verified, multi-factor. */
const PASSKEY_AMR = ['hwk', 'user', 'mfa'];

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

  /** Watches a page of the app at `at` (its origin, `localhost` unless a test says otherwise). */
  function watch(page: Page, at = origin): Watched {
    const problems = watchProblems(page);
    const refusals: string[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin === at && response.status() >= 400) {
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

  async function expectLoggedOut(page: Page): Promise<void> {
    await status(page).getByText('Not logged in').waitFor();
  }

  async function passwordLogin(page: Page, email: string): Promise<void> {
    await expectLoggedOut(page);
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Log in' }).click();
  }

  async function logOut(page: Page): Promise<void> {
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expectLoggedOut(page);
  }

  /**
   * A page on its own device, with a virtual authenticator, signed in with the password of a new account whose
   * address was verified through the mailed link (a passkey or a second factor needs that).
   */
  async function signedInWithPassword(
    prefix: string,
  ): Promise<{ page: Page; watched: Watched; authenticator: VirtualAuthenticator; email: string }> {
    const email = uniqueEmail(prefix);
    await register(app, email);
    await verifyAddress(app, email);
    const { page, watched } = await open(await devices.add());
    const authenticator = await VirtualAuthenticator.attach(page);
    await passwordLogin(page, email);
    await expectLoggedIn(page, email);
    return { page, watched, authenticator, email };
  }

  /** Adds a passkey from the signed-in page, through the browser's (virtual) authenticator. */
  async function addPasskey(page: Page, name: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Add a passkey' });
    await form.getByLabel('Name').fill(name);
    await form.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText(`Passkey “${name}” added`).waitFor();
  }

  /** The rows of the passkey list: name, added, last used. */
  async function passkeyRows(page: Page): Promise<string[][]> {
    const rows = await page.locator('#passkeys tbody tr').all();
    return Promise.all(
      rows.map((row) => Promise.all([0, 1, 2].map((cell) => row.locator('td').nth(cell).innerText()))),
    );
  }

  /** Clicks "Sign in with a passkey" (no email typed anywhere); the server's answer, when the browser sent one. */
  async function signInWithPasskey(
    page: Page,
  ): Promise<{ answer: Promise<Response>; request: Promise<string> }> {
    const email = page.getByRole('form', { name: 'Log in' }).getByLabel('Email');
    expect(await email.inputValue()).toBe('');
    const answer = page.waitForResponse((response) => new URL(response.url()).pathname === PASSKEY_LOGIN);
    const request = page
      .waitForRequest((sent) => new URL(sent.url()).pathname === PASSKEY_LOGIN)
      .then((sent) => sent.postData() ?? '');
    // Whichever is not awaited must not fail the test when nothing is sent (a refusal in the browser).
    answer.catch(() => undefined);
    request.catch(() => undefined);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    return { answer, request };
  }

  const alert = (page: Page) => page.getByRole('alert');

  it('adds a passkey from the page, then signs in with it without an email, as two factors', async () => {
    const { page, watched, authenticator, email } = await signedInWithPassword('passkey');
    const [{ id: userId }] = await app.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
      email,
    ]);
    await page.getByText('No passkey yet.').waitFor();

    await addPasskey(page, 'Work laptop');
    await page.locator('#passkeys tbody tr').first().waitFor();
    const [[name, added, lastUsed]] = await passkeyRows(page);
    expect([name, lastUsed]).toEqual(['Work laptop', 'Never']);
    expect(added).not.toBe('');

    // A discoverable credential on the device, for this site, whose user handle says nothing about the user.
    const credentials = await authenticator.credentials();
    expect(credentials).toEqual([expect.objectContaining({ isResidentCredential: true, rpId: 'localhost' })]);
    const handle = Buffer.from(credentials[0].userHandle ?? '', 'base64');
    expect(handle.length).toBeGreaterThanOrEqual(16);
    for (const text of [handle.toString('utf8'), handle.toString('hex'), handle.toString('base64url')]) {
      expect(text).not.toContain(email);
      expect(text).not.toContain(userId);
      expect(text).not.toContain(userId.replace(/-/g, ''));
    }
    await screenshot(page, 'demo-passkeys');

    await logOut(page);
    const { answer, request } = await signInWithPasskey(page);
    const response = await answer;
    expect(response.status()).toBe(200);
    await expectLoggedIn(page, email);
    const { accessToken } = (await response.json()) as { accessToken: string };
    expect(decodeJwt(accessToken).payload).toMatchObject({ sub: userId, amr: PASSKEY_AMR });
    // The list says when it last signed in.
    await page.locator('#passkeys tbody tr td:nth-child(3)').filter({ hasNotText: 'Never' }).waitFor();

    // The same assertion again, as an eavesdropper would send it, from the same origin: its challenge is spent.
    const replayed = await fetch(`${origin}${PASSKEY_LOGIN}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin },
      body: await request,
    });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('set-cookie')).toBeNull();

    expect(watched.refusals).toEqual([NO_SESSION_YET]);
    expect(unexplained(watched)).toEqual([]);
  });

  it('stays signed out, saying why, when the signature is bogus or the device cannot verify the user', async () => {
    const { page, watched, authenticator } = await signedInWithPassword('passkey-refused');
    await addPasskey(page, 'Laptop');
    await logOut(page);

    // The authenticator signs with zeros: the server finds the signature wrong.
    await authenticator.setBogusSignature(true);
    const bogus = await signInWithPasskey(page);
    expect((await bogus.answer).status()).toBe(401);
    await expect(alert(page).innerText()).resolves.toContain('The server did not accept this passkey');
    await expectLoggedOut(page);
    await authenticator.setBogusSignature(false);

    // The fingerprint (say) is not the user's: the browser refuses, and nothing reaches the server.
    await authenticator.setUserVerified(false);
    const sent: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === PASSKEY_LOGIN) sent.push(request.url());
    });
    await signInWithPasskey(page);
    await expect(alert(page).innerText()).resolves.toContain('NotAllowedError');
    await expect(alert(page).innerText()).resolves.toContain('You are still signed out');
    await expectLoggedOut(page);
    expect(sent).toEqual([]);
    // No session: at most the device cookie of an earlier sign-in of this browser.
    expect((await page.context().cookies()).filter(({ name }) => name !== 'gh_device')).toEqual([]);

    // With the user verified again, the same passkey works.
    await authenticator.setUserVerified(true);
    const good = await signInWithPasskey(page);
    expect((await good.answer).status()).toBe(200);
    await status(page).getByText('Logged in as').waitFor();
    expect(await alert(page).isVisible()).toBe(false);

    expect(watched.refusals).toEqual([NO_SESSION_YET, `401 POST ${PASSKEY_LOGIN}`]);
    expect(unexplained(watched)).toEqual([]);
  });

  it('renames and removes a passkey from the page, but never the last way to sign in', async () => {
    const { page, watched, email } = await signedInWithPassword('passkey-manage');
    await addPasskey(page, 'Laptop');
    const [{ id: passkeyId }] = await app.query<{ id: string }>(
      'SELECT p.id FROM passkeys p JOIN users u ON u.id = p.user_id WHERE u.email = $1',
      [email],
    );

    await page.getByRole('button', { name: 'Rename the passkey Laptop' }).click();
    const rename = page.getByRole('form', { name: 'Rename the passkey Laptop' });
    await expect(rename.getByLabel('New name').inputValue()).resolves.toBe('Laptop');
    await rename.getByLabel('New name').fill('Phone');
    await rename.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Renamed to “Phone”.').waitFor();
    expect((await passkeyRows(page)).map(([name]) => name)).toEqual(['Phone']);

    // Without a password (as after a sign-up through a provider, then unlinking it), the passkey is all there is.
    const [{ password_hash: hash }] = await app.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    await app.query('UPDATE users SET password_hash = NULL WHERE email = $1', [email]);
    await page.getByRole('button', { name: 'Remove the passkey Phone' }).click();
    await expect(alert(page).innerText()).resolves.toContain('the last way to sign in');
    expect((await passkeyRows(page)).map(([name]) => name)).toEqual(['Phone']);

    await app.query('UPDATE users SET password_hash = $2 WHERE email = $1', [email, hash]);
    await page.getByRole('button', { name: 'Remove the passkey Phone' }).click();
    await page.getByText('No passkey yet.').waitFor();
    expect(await page.locator('#passkeys tbody tr').count()).toBe(0);
    expect(await alert(page).isVisible()).toBe(false);

    // The device still holds the credential, but the server no longer knows it.
    await logOut(page);
    const removed = await signInWithPasskey(page);
    expect((await removed.answer).status()).toBe(401);
    await expect(alert(page).innerText()).resolves.toContain('The server did not accept this passkey');
    await expectLoggedOut(page);

    expect(watched.refusals).toEqual([
      NO_SESSION_YET,
      `409 DELETE /api/auth/passkeys/${passkeyId}`,
      `401 POST ${PASSKEY_LOGIN}`,
    ]);
    expect(unexplained(watched)).toEqual([]);
  });

  it('with the authenticator app on: a passkey is added after a sign-in with a code, and then signs in alone', async () => {
    const { page, watched, email } = await signedInWithPassword('passkey-totp');
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await page.locator('#totp-secret').filter({ hasText: /\S/ }).waitFor();
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    const confirm = page.getByRole('form', { name: 'Confirm with a code' });
    await confirm.getByLabel('Code the app shows now').fill(totpCode(secret));
    await confirm.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.getByText('Two-factor sign-in is on.').waitFor();

    // This session began with the password alone: the server wants the second factor first, and no refresh helps.
    const refreshes: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/api/auth/refresh')) refreshes.push(response.status());
    });
    const form = page.getByRole('form', { name: 'Add a passkey' });
    await form.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(alert(page).innerText()).resolves.toContain(
      'needs a session that began with your second factor',
    );
    expect(refreshes).toEqual([]);
    await page.getByText('No passkey yet.').waitFor();

    await logOut(page);
    await passwordLogin(page, email);
    const prompt = page.getByRole('form', { name: 'Two-factor sign-in' });
    await prompt.getByLabel('Code from the app').fill(totpCode(secret, 1));
    await prompt.getByRole('button', { name: 'Sign in' }).click();
    await expectLoggedIn(page, email);
    await addPasskey(page, 'Phone');

    await logOut(page);
    const { answer } = await signInWithPasskey(page);
    const response = await answer;
    await expectLoggedIn(page, email);
    expect(await prompt.isVisible()).toBe(false);
    expect(await response.json()).not.toHaveProperty('mfaRequired');
    const { accessToken } = (await response.json()) as { accessToken: string };
    expect(decodeJwt(accessToken).payload.amr).toEqual(PASSKEY_AMR);

    expect(watched.refusals).toEqual([NO_SESSION_YET, '401 POST /api/auth/passkeys/register/options']);
    expect(unexplained(watched)).toEqual([]);
  });

  it('offers no passkeys where they cannot work: a browser without WebAuthn, a page at an IP address', async () => {
    const email = uniqueEmail('passkey-none');
    await register(app, email);
    const context = await devices.add();
    await context.addInitScript(() => {
      delete (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential;
    });
    const { page, watched } = await open(context);
    await expectLoggedOut(page);
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(false);
    await passwordLogin(page, email);
    await expectLoggedIn(page, email);
    await page.getByText('This browser cannot make or use passkeys').waitFor();
    expect(await page.getByRole('form', { name: 'Add a passkey' }).isVisible()).toBe(false);
    // What is already there can still be managed from here.
    await page.getByText('No passkey yet.').waitFor();

    // At 127.0.0.1 the browser would refuse every passkey call: the page says where to go instead.
    const atIp = await (await devices.add()).newPage();
    const ipOrigin = origin.replace('localhost', '127.0.0.1');
    const ipWatched = watch(atIp, ipOrigin);
    await atIp.goto(ipOrigin);
    await expectLoggedOut(atIp);
    expect(await atIp.getByRole('button', { name: 'Sign in with a passkey' }).isVisible()).toBe(false);

    expect(watched.refusals).toEqual([NO_SESSION_YET]);
    expect(unexplained(watched)).toEqual([]);
    expect(ipWatched.refusals).toEqual([NO_SESSION_YET]);
    expect(unexplained(ipWatched)).toEqual([]);
  });

  it('shows the setup link of the authenticator app as a QR code beside its text', async () => {
    const email = uniqueEmail('qr');
    await register(app, email);
    await verifyAddress(app, email);
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
