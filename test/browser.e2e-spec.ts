import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { ENDPOINTS } from '@gatehouse/client';
import { OpenApiDocument, renderTypes } from '../libs/client/tools/openapi-to-ts';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { Devices, launchChromium, screenshot, watchProblems, buildDemoPage } from './support/browser';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';

const ROOT = resolve(__dirname, '..');

/** What the storage check reads in the page. */
interface PageGlobals {
  localStorage: object;
  sessionStorage: object;
  document: { cookie: string; documentElement: { outerHTML: string } };
  indexedDB: { databases(): Promise<unknown[]> };
  caches?: { keys(): Promise<string[]> };
  name: string;
}
/** Short-lived access tokens, so that expiry happens within the test; the client refreshes at 3/4 of it. */
const ACCESS_TOKEN_TTL_SECONDS = 16;

/**
 * The demo page at `GET /` in real headless Chromium (Debian's, never a download), against the real app
 * listening on 127.0.0.1. The page is built from the sources first (scripts/build-demo.mjs into dist/public,
 * which the app serves both from dist/ and from the sources jest runs). PGlite only: what is under test is the
 * browser side; the server's behaviour on PostgreSQL is covered by the other suites.
 */
describe('browser client and demo page [PGlite, headless Chromium]', () => {
  let app: TestApp;
  let baseUrl: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  beforeAll(async () => {
    buildDemoPage();
    // The app must know the origin the page reaches it by (PUBLIC_URL): the page's DPoP proofs name it.
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    app = await TestApp.start('pglite', {
      env: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS), PUBLIC_URL: baseUrl },
    });
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

  /** A new browser profile: its own cookie jar, like another device. */
  const device = () => devices.add();

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.goto(baseUrl);
    return page;
  }

  const status = (page: Page) => page.getByRole('status');

  async function expectLoggedIn(page: Page, email: string): Promise<void> {
    await status(page).getByText(`Logged in as ${email}`).waitFor();
  }

  async function expectLoggedOut(page: Page): Promise<void> {
    await status(page).getByText('Not logged in').waitFor();
    await page.getByRole('form', { name: 'Log in' }).waitFor();
  }

  /** Logs in through the demo page's form; returns the access token the login answered with. */
  async function logInOnPage(page: Page, email: string): Promise<string> {
    await expectLoggedOut(page);
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    const answer = page.waitForResponse((response) => response.url().endsWith('/api/auth/login'));
    await form.getByRole('button', { name: 'Log in' }).click();
    const body = (await (await answer).json()) as { accessToken: string };
    await expectLoggedIn(page, email);
    return body.accessToken;
  }

  async function whoAmI(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Who am I?' }).click();
    return page.locator('#whoami dd').first().innerText();
  }

  const activity = (page: Page) => page.locator('#activity li');

  it('serves the page under the CSP, with its script and styles, and leaves /api routes to Nest', async () => {
    const page = await (await device()).newPage();
    const problems = watchProblems(page);
    const response = await page.goto(baseUrl);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    await expectLoggedOut(page);
    // The stylesheet applied: the hidden signed-in part takes no room.
    expect(await page.locator('#signed-in').isVisible()).toBe(false);
    // The only console error is the restore attempt's 401: there is no session yet.
    expect(problems.filter((problem) => !problem.includes('401'))).toEqual([]);

    const missing = await page.request.get(`${baseUrl}/api/nope`);
    expect(missing.status()).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('registers and logs in on the page; the access token is in no storage and the refresh cookie is not readable', async () => {
    const context = await device();
    const page = await open(context);
    const problems = watchProblems(page);
    const email = uniqueEmail('browser');
    const form = page.getByRole('form', { name: 'Register' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Display name').fill('Ada');
    await form.getByLabel('Password').fill(PASSWORD);
    const answer = page.waitForResponse((response) => response.url().endsWith('/api/auth/login'));
    await form.getByRole('button', { name: 'Register and log in' }).click();
    const { accessToken } = (await (await answer).json()) as { accessToken: string };
    await expectLoggedIn(page, email);
    expect(await whoAmI(page)).toBe(email);

    const seen = await page.evaluate(async () => {
      // Runs in the page (this project's TypeScript has no DOM types, hence the local shape).
      const page = globalThis as unknown as PageGlobals;
      const dump = (storage: object) => JSON.stringify(Object.entries(storage));
      return {
        localStorage: dump(page.localStorage),
        sessionStorage: dump(page.sessionStorage),
        cookie: page.document.cookie,
        indexedDb: JSON.stringify(await page.indexedDB.databases()),
        caches: page.caches ? JSON.stringify(await page.caches.keys()) : '[]',
        windowName: page.name,
        html: page.document.documentElement.outerHTML,
      };
    });
    const signature = accessToken.split('.')[2];
    for (const [where, text] of Object.entries(seen)) {
      expect({ where, hasToken: text.includes(accessToken) || text.includes(signature) }).toEqual({
        where,
        hasToken: false,
      });
    }
    expect(seen.cookie).not.toContain('refresh_token');
    expect(seen.localStorage).toBe('[]');
    expect(seen.sessionStorage).toBe('[]');

    // Chromium did accept the Secure, HttpOnly cookie on http://127.0.0.1 (a secure context), for /api/auth only;
    // and the device cookie beside it, which tells this browser from a new one at the next sign-in.
    const cookies = (await context.cookies()).sort((a, b) => a.name.localeCompare(b.name));
    expect(cookies).toEqual([
      expect.objectContaining({
        name: 'gh_device',
        path: '/api/auth',
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
      }),
      expect.objectContaining({
        name: 'refresh_token',
        path: '/api/auth',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
      }),
    ]);
    expect(problems.filter((problem) => !problem.includes('401'))).toEqual([]);
  });

  it('adds and lists notes, marks the current session, and keeps the user logged in across a reload', async () => {
    const email = uniqueEmail('notes');
    await register(app, email);
    const page = await open(await device());
    await logInOnPage(page, email);

    const noteForm = page.getByRole('form', { name: 'Add a note' });
    await noteForm.getByLabel('Title').fill('Groceries');
    await noteForm.getByLabel('Text').fill('Milk, eggs, <script>alert(1)</script>');
    await noteForm.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('1 note.').waitFor();
    const note = page.locator('#notes li');
    await expect(note.locator('strong').innerText()).resolves.toBe('Groceries');
    // User text is shown as text, never run as markup.
    await expect(note.locator('p').innerText()).resolves.toBe('Milk, eggs, <script>alert(1)</script>');

    const rows = page.locator('#sessions tbody tr');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().innerText()).resolves.toContain('this session');
    await screenshot(page, 'demo-page');

    await page.reload();
    await expectLoggedIn(page, email);
    await page.getByText('1 note.').waitFor();
    await expect(activity(page).first().innerText()).resolves.toContain(
      'refreshed in this tab to restore the session after the page loaded',
    );
    expect(await whoAmI(page)).toBe(email);
  });

  it('two tabs whose access tokens expire at the same moment both keep working, with one refresh, and the family is not revoked', async () => {
    const email = uniqueEmail('tabs');
    const userId = (await register(app, email)).body.id as string;
    const context = await device();
    const first = await open(context);
    await logInOnPage(first, email);

    // A second tab restores from the cookie and hands its token to the first: both now expire together.
    const second = await open(context);
    await expectLoggedIn(second, email);
    await activity(first).getByText('refreshed by another tab to restore the session').waitFor();
    await expect(first.locator('#expires-at').innerText()).resolves.toBe(
      await second.locator('#expires-at').innerText(),
    );

    const refreshes: number[] = [];
    context.on('response', (response) => {
      if (response.url().endsWith('/api/auth/refresh')) refreshes.push(response.status());
    });
    const scheduled = (page: Page) => activity(page).getByText('shortly before expiry').first();
    await Promise.all(
      [first, second].map((page) =>
        scheduled(page).waitFor({ timeout: (ACCESS_TOKEN_TTL_SECONDS + 5) * 1000 }),
      ),
    );
    const lines = await Promise.all([first, second].map((page) => scheduled(page).innerText()));
    expect(lines.map((line) => (line.includes('in this tab') ? 'this tab' : 'another tab')).sort()).toEqual([
      'another tab',
      'this tab',
    ]);
    expect(refreshes).toEqual([200]);

    for (const page of [first, second]) {
      expect(await whoAmI(page)).toBe(email);
      expect(await page.getByRole('alert').isVisible()).toBe(false);
    }
    await screenshot(first, 'demo-page-after-refresh');
    const sessions = await app.query<{ revoked_at: Date | null }>(
      'SELECT revoked_at FROM sessions WHERE user_id = $1',
      [userId],
    );
    expect(sessions).toEqual([{ revoked_at: null }]);
    const alarms = app.logs.lines.filter(
      (line) => line.includes(userId) && /reuse_detected|race_absorbed/.test(line),
    );
    expect(alarms).toEqual([]);
  });

  it('revoking a session from one device logs the other device out', async () => {
    const email = uniqueEmail('devices');
    await register(app, email);
    const laptop = await open(await device());
    await logInOnPage(laptop, email);
    const phone = await open(await device());
    await logInOnPage(phone, email);

    await laptop.getByRole('button', { name: 'Reload the list' }).click();
    const rows = laptop.locator('#sessions tbody tr');
    await rows.nth(1).waitFor();
    await laptop.getByRole('button', { name: /^Revoke the session started/ }).click();
    await rows.nth(1).waitFor({ state: 'detached' });
    await expect(rows.first().innerText()).resolves.toContain('this session');

    // The phone's next request meets the revoked token, its refresh is refused: it is logged out.
    await phone.getByRole('button', { name: 'Who am I?' }).click();
    await expectLoggedOut(phone);
    await expect(phone.getByRole('alert').innerText()).resolves.toContain('The session has ended');
    await phone.reload();
    await expectLoggedOut(phone);

    expect(await whoAmI(laptop)).toBe(email);
  });

  it('log out, reload: logged out, in every tab, and the session is over on the server', async () => {
    const email = uniqueEmail('logout');
    await register(app, email);
    const context = await device();
    const page = await open(context);
    await logInOnPage(page, email);
    const other = await open(context);
    await expectLoggedIn(other, email);
    const cookie = (await context.cookies()).find(({ name }) => name === 'refresh_token')!;

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expectLoggedOut(page);
    await expectLoggedOut(other);
    // Only the device cookie stays: the browser is still the same browser.
    expect((await context.cookies()).map(({ name }) => name)).toEqual(['gh_device']);

    await page.reload();
    await expectLoggedOut(page);
    // The cookie the browser held before logging out no longer works anywhere.
    await app.http().post('/api/auth/refresh').set('Cookie', `${cookie.name}=${cookie.value}`).expect(401);
  });

  it('log out everywhere ends the sessions of the other devices too', async () => {
    const email = uniqueEmail('everywhere');
    await register(app, email);
    const laptop = await open(await device());
    await logInOnPage(laptop, email);
    const phone = await open(await device());
    await logInOnPage(phone, email);

    await laptop.getByRole('button', { name: 'Log out everywhere' }).click();
    await expectLoggedOut(laptop);
    await phone.reload();
    await expectLoggedOut(phone);
  });

  describe('the client against the OpenAPI document', () => {
    let document: OpenApiDocument & {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };

    beforeAll(async () => {
      document = (await app.http().get('/api/docs-json').expect(200)).body;
    });

    it('has wire types generated from the current document (npm run client:types)', () => {
      const committed = readFileSync(join(ROOT, 'libs/client/src/api-types.ts'), 'utf8');
      expect(committed).toBe(renderTypes(document));
    });

    it('calls routes that exist, with the bodies and answers the document gives them', () => {
      const schemaOf = (content: unknown): string | null => {
        const schema = (content as { content?: Record<string, { schema?: Record<string, unknown> }> })
          ?.content?.['application/json']?.schema;
        if (!schema) return null;
        const ref = (value: unknown) =>
          String((value as { $ref: string }).$ref)
            .split('/')
            .pop();
        if (Array.isArray(schema.oneOf)) return schema.oneOf.map(ref).join(' | ');
        return schema.type === 'array' ? `${ref(schema.items)}[]` : (ref(schema) ?? null);
      };
      for (const [name, endpoint] of Object.entries(ENDPOINTS)) {
        const operation = document.paths[endpoint.path]?.[endpoint.method.toLowerCase()];
        expect({ name, exists: operation !== undefined }).toEqual({ name, exists: true });
        const success = Object.entries(operation.responses).find(([code]) => code.startsWith('2'));
        expect({ name, body: schemaOf(operation.requestBody), response: schemaOf(success?.[1]) }).toEqual({
          name,
          body: endpoint.body,
          response: endpoint.response,
        });
      }
    });
  });
});
