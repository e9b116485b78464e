import { Browser, Page } from 'playwright-core';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import {
  buildDemoPage,
  Devices,
  launchChromium,
  logInOnPage,
  screenshot,
  VirtualAuthenticator,
  watchProblems,
} from './support/browser';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';
import { verifyAddress } from './support/verified-sign-up';

/** Events per page in the panel (account-activity.ts). */
const PAGE_SIZE = 10;
/** The user's own earlier sign-ins, from another browser: with markup in it, as an attacker may send. */
const EARLIER_BROWSER = 'Mozilla/5.0 (<b>Earlier</b>; x) Firefox/128.0 <img src=x id=planted>';
/** Another account's sign-ins, between the user's own: none of them may show. */
const OTHER_BROWSER = 'Mozilla/5.0 (OtherAccount; x) Safari/605.1';
/** Sign-ins over HTTP before the page's own: enough for a second page. */
const EARLIER_SIGN_INS = PAGE_SIZE + 2;

interface ActivityRow {
  what: string;
  /** The `<time>` element's `datetime`: the event's `at`. */
  at: string | null;
  ip: string;
  browser: string;
  /** The full user agent, in the browser cell's `title`. */
  userAgent: string | null;
}

/** The little of the DOM that reading the rows needs (the tests compile without the DOM's types). */
interface CellElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
interface RowElement {
  querySelectorAll(selector: 'td'): ArrayLike<CellElement>;
  querySelector(selector: 'time'): CellElement | null;
}

interface Event {
  id: string;
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The Account activity panel of the demo page, in headless Chromium with its virtual authenticator: the user's
 * own history, newest first, a page at a time, refreshed after a sign-in and after a change made on the page. One
 * page goes through it all, so the tests below run in order on it. The page is opened at `localhost` (a passkey
 * needs a domain name). PGlite only: the route is covered on both databases by audit.e2e-spec.ts.
 */
describe('account activity in the demo page [PGlite, headless Chromium, virtual authenticator]', () => {
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);
  const email = uniqueEmail('activity');
  let page: Page;
  let problems: string[];
  /** An access token of the user's, from an earlier sign-in: what the API answers is compared with the page. */
  let accessToken: string;

  /** Signs in over HTTP with `userAgent`, as another device of the account's owner would. */
  async function signInFrom(address: string, userAgent: string): Promise<string> {
    const response = await app
      .http()
      .post('/api/auth/login')
      .set('User-Agent', userAgent)
      .send({ email: address, password: PASSWORD });
    if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
    return response.body.accessToken as string;
  }

  beforeAll(async () => {
    buildDemoPage();
    const port = await freePort();
    origin = `http://localhost:${port}`;
    app = await TestApp.start('pglite', { env: { APP_URL: origin, PUBLIC_URL: origin } });
    await app.app.listen({ port, host: '127.0.0.1' });
    browser = await launchChromium();

    // A history older than the page: the user's sign-ins elsewhere, another account's in between.
    const other = uniqueEmail('activity-other');
    await register(app, email);
    await verifyAddress(app, email);
    await register(app, other);
    for (let n = 0; n < EARLIER_SIGN_INS; n += 1) {
      accessToken = await signInFrom(email, EARLIER_BROWSER);
      await signInFrom(other, OTHER_BROWSER);
    }

    page = await (await devices.add()).newPage();
    problems = watchProblems(page);
    await VirtualAuthenticator.attach(page);
    await page.goto(origin);
  });
  afterAll(async () => {
    await devices.closeAll();
    await browser?.close();
    await app?.stop();
  });

  const panel = () => page.getByRole('region', { name: 'Account activity' });
  const loadMore = () => panel().getByRole('button', { name: 'Load more' });

  /** The panel's rows, top to bottom. */
  function rows(): Promise<ActivityRow[]> {
    return panel()
      .locator('tbody tr')
      .evaluateAll((found: RowElement[]) =>
        found.map((row) => {
          const [what, , ip, browserCell] = Array.from(row.querySelectorAll('td'));
          return {
            what: what.textContent ?? '',
            at: row.querySelector('time')?.getAttribute('datetime') ?? null,
            ip: ip.textContent ?? '',
            browser: browserCell.textContent ?? '',
            userAgent: browserCell.getAttribute('title'),
          };
        }),
      );
  }

  const labels = async () => (await rows()).map((row) => row.what);

  /** The user's whole history as the API answers it, newest first. */
  async function history(): Promise<Event[]> {
    const response = await app
      .http()
      .get('/api/auth/activity?limit=100')
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(200);
    return response.body.items as Event[];
  }

  it('shows the sign-in on this page at the top, with this browser and when, newest first', async () => {
    const signedInAt = Date.now();
    await logInOnPage(page, email);
    await panel().getByRole('cell', { name: 'Signed in', exact: true }).first().waitFor();

    const shown = await rows();
    expect(shown).toHaveLength(PAGE_SIZE);
    // What the same sign-in recorded beside it (the session bound to the page's key, a new browser) may be above.
    const signIn = shown.findIndex((row) => row.what === 'Signed in');
    expect(signIn).toBeGreaterThanOrEqual(0);
    expect(signIn).toBeLessThan(3);
    for (const row of shown.slice(0, signIn))
      expect(Date.parse(row.at ?? '')).toBeGreaterThan(signedInAt - 1000);
    const userAgent = await page.evaluate(
      () => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent,
    );
    const major = browser.version().split('.')[0];
    expect(shown[signIn]).toMatchObject({ ip: '127.0.0.1', userAgent, browser: `Chrome/${major} on X11` });
    const at = Date.parse(shown[signIn].at ?? '');
    expect(at).toBeGreaterThanOrEqual(signedInAt - 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
    // Older ones below it: the sign-ins from the other browser, shortened, its full string in the title.
    expect(shown[signIn + 1]).toMatchObject({
      what: 'Signed in',
      userAgent: EARLIER_BROWSER,
      browser: 'Firefox/128 on <b>Earlier</b>',
    });
    const times = shown.map((row) => Date.parse(row.at ?? ''));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // The user agent stayed text: nothing it carried became an element.
    expect(await page.locator('#planted, #account-events b').count()).toBe(0);
    await expect(loadMore().isVisible()).resolves.toBe(true);
  });

  it('shows a passkey added on the page above the sign-in, at once', async () => {
    const form = page.getByRole('form', { name: 'Add a passkey' });
    await form.getByLabel('Name').fill('Laptop');
    await form.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText('Passkey “Laptop” added').waitFor();
    await panel().getByRole('cell', { name: 'Passkey added' }).waitFor();

    const shown = await labels();
    expect(shown[0]).toBe('Passkey added');
    expect(shown.indexOf('Signed in')).toBeGreaterThan(0);
    await screenshot(page, 'demo-account-activity');
  });

  it("pages older events with Load more, down to the account's creation, and none of another account's", async () => {
    await loadMore().click();
    await panel()
      .getByText(/^All \d+ events\.$/)
      .waitFor();
    await expect(loadMore().isVisible()).resolves.toBe(false);

    const shown = await rows();
    expect(shown.length).toBeGreaterThan(PAGE_SIZE);
    expect(shown.at(-1)?.what).toBe('Account created');
    // Exactly the user's history, in its order, no event twice and none skipped at the page's seam.
    const events = await history();
    expect(shown.map((row) => [row.at, row.userAgent])).toEqual(
      events.map((event) => [event.at, event.userAgent]),
    );
    expect(shown.filter((row) => row.userAgent === EARLIER_BROWSER)).toHaveLength(EARLIER_SIGN_INS);
    expect(shown.some((row) => row.userAgent === OTHER_BROWSER)).toBe(false);
    expect(await panel().innerText()).not.toContain('OtherAccount');

    // Only the page's own first restore (no session yet) was refused.
    expect(problems.filter((problem) => !problem.includes('status of 401'))).toEqual([]);
  });
});
