import { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { decodeJwt, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { buildDemoPage, Devices, launchChromium, screenshot, watchProblems } from './support/browser';
import { DpopKey } from './support/dpop-key';
import { freePort } from './support/server-process';
import { TestApp } from './support/test-app';

/** What the in-page check uses of the browser (this project's TypeScript has no DOM types). */
interface PageGlobals {
  indexedDB: {
    open(name: string): {
      result: {
        transaction(store: string): { objectStore(store: string): { get(key: string): IdbRequest } };
        close(): void;
      };
      onsuccess: (() => void) | null;
      onerror: (() => void) | null;
    };
  };
  crypto: {
    subtle: {
      exportKey(format: string, key: unknown): Promise<Record<string, string>>;
      digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
    };
  };
}
interface IdbRequest {
  result: { privateKey: { extractable: boolean }; publicKey: { extractable: boolean } } | undefined;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

/** What the page holds in IndexedDB, read as any script on the page could, and what it can do with it. */
interface StoredKey {
  found: boolean;
  privateExtractable: boolean;
  exportPrivate: string;
  thumbprint: string;
}

/**
 * DPoP (RFC 9449) in real headless Chromium: the demo page's client makes a non-extractable key, keeps it in
 * IndexedDB, and binds its session to it; a copy of the access token is useless from anywhere else. The app knows
 * itself by the origin the browser uses (PUBLIC_URL), as proofs name it. PGlite only: what is under test is the
 * browser side; the server's checks run on both databases in dpop.e2e-spec.ts.
 */
describe('DPoP-bound sessions in the browser [PGlite, headless Chromium]', () => {
  let app: TestApp;
  let origin: string;
  let browser: Browser;
  const devices = new Devices(() => browser);

  async function startApp(env: Record<string, string> = {}): Promise<{ app: TestApp; origin: string }> {
    const port = await freePort();
    const at = `http://127.0.0.1:${port}`;
    const started = await TestApp.start('pglite', { env: { PUBLIC_URL: at, APP_URL: at, ...env } });
    await started.app.listen({ port, host: '127.0.0.1' });
    return { app: started, origin: at };
  }

  beforeAll(async () => {
    buildDemoPage();
    ({ app, origin } = await startApp());
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
  const binding = (page: Page) => page.locator('#session-binding');

  async function open(context: BrowserContext, at = origin): Promise<Page> {
    const page = await context.newPage();
    await page.goto(at);
    return page;
  }

  /** Logs in on the page's form; answers the login's response as the network carried it. */
  async function logInOnPage(page: Page, email: string): Promise<Response> {
    await status(page).getByText('Not logged in').waitFor();
    const form = page.getByRole('form', { name: 'Log in' });
    await form.getByLabel('Email').fill(email);
    await form.getByLabel('Password').fill(PASSWORD);
    const answer = page.waitForResponse(
      (response) => response.url().endsWith('/api/auth/login') && response.status() === 200,
    );
    await form.getByRole('button', { name: 'Log in' }).click();
    const response = await answer;
    await status(page).getByText(`Logged in as ${email}`).waitFor();
    return response;
  }

  async function whoAmI(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Who am I?' }).click();
    return page.locator('#whoami dd').first().innerText();
  }

  /** The key pair the client stored, read from IndexedDB in the page, and what a script can do with it. */
  function readStoredKey(page: Page): Promise<StoredKey> {
    return page.evaluate(async () => {
      const { indexedDB, crypto } = globalThis as unknown as PageGlobals;
      const pair = await new Promise<IdbRequest['result']>((resolve, reject) => {
        const opening = indexedDB.open('gatehouse-dpop');
        opening.onerror = () => reject(new Error('no database'));
        opening.onsuccess = () => {
          const read = opening.result.transaction('keys').objectStore('keys').get('gatehouse');
          read.onerror = () => reject(new Error('no key'));
          read.onsuccess = () => {
            opening.result.close();
            resolve(read.result);
          };
        };
      });
      if (pair === undefined)
        return { found: false, privateExtractable: true, exportPrivate: '', thumbprint: '' };
      let exportPrivate: string;
      try {
        await crypto.subtle.exportKey('jwk', pair.privateKey);
        exportPrivate = 'exported';
      } catch (error) {
        exportPrivate = (error as Error).name;
      }
      const { crv, kty, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
      const canonical = new TextEncoder().encode(JSON.stringify({ crv, kty, x, y }));
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', canonical));
      const thumbprint = btoa(String.fromCharCode(...digest))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
      return { found: true, privateExtractable: pair.privateKey.extractable, exportPrivate, thumbprint };
    });
  }

  it('binds the page’s session to a key no script can export; a copy of its token fails anywhere else', async () => {
    const email = uniqueEmail('dpop-page');
    await register(app, email);
    const context = await devices.add();
    const page = await open(context);
    const problems = watchProblems(page);

    const login = await logInOnPage(page, email);
    expect(login.request().headers()['dpop']).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { accessToken, tokenType } = (await login.json()) as { accessToken: string; tokenType: string };
    expect(tokenType).toBe('DPoP');
    const jkt = (decodeJwt(accessToken).payload.cnf as { jkt: string }).jkt;
    await binding(page).getByText('Session bound to this browser’s key (DPoP)').waitFor();
    expect(await whoAmI(page)).toBe(email);
    await screenshot(page, 'demo-dpop-bound');

    // The key in IndexedDB is the one the session is bound to, and its private half cannot be exported.
    const stored = await readStoredKey(page);
    expect(stored).toEqual({
      found: true,
      privateExtractable: false,
      exportPrivate: 'InvalidAccessError',
      thumbprint: jkt,
    });

    // The token, read off the network as a script could: useless as Bearer, and with another key's proof.
    const me = `${origin}/api/users/me`;
    await app.http().get('/api/users/me').set('Authorization', `Bearer ${accessToken}`).expect(401);
    const thief = await DpopKey.generate();
    const withThiefsKey = await app
      .http()
      .get('/api/users/me')
      .set('Authorization', `DPoP ${accessToken}`)
      .set('DPoP', await thief.proof('GET', me, { accessToken }));
    expect(withThiefsKey.status).toBe(401);
    expect(String(withThiefsKey.headers['www-authenticate'])).toMatch(/^DPoP /);

    // The page goes on: a reload restores the session with the stored key; so does a second tab.
    const refreshes: { status: number; tokenType: string; jkt: string }[] = [];
    context.on('response', (response) => {
      if (!response.url().endsWith('/api/auth/refresh')) return;
      void response.json().then(
        (body: { accessToken?: string; tokenType?: string }) => {
          const cnf = body.accessToken ? decodeJwt(body.accessToken).payload.cnf : undefined;
          refreshes.push({
            status: response.status(),
            tokenType: body.tokenType ?? '',
            jkt: (cnf as { jkt?: string } | undefined)?.jkt ?? '',
          });
        },
        () => refreshes.push({ status: response.status(), tokenType: '', jkt: '' }),
      );
    });
    await page.reload();
    await status(page).getByText(`Logged in as ${email}`).waitFor();
    await binding(page).getByText('Session bound to this browser’s key (DPoP)').waitFor();
    expect(await whoAmI(page)).toBe(email);

    const second = await open(context);
    await status(second).getByText(`Logged in as ${email}`).waitFor();
    await binding(second).getByText('Session bound to this browser’s key (DPoP)').waitFor();
    expect(await whoAmI(second)).toBe(email);
    for (let waited = 0; refreshes.length < 2 && waited < 5000; waited += 50) await second.waitForTimeout(50);
    expect(refreshes.slice(0, 2)).toEqual([
      { status: 200, tokenType: 'DPoP', jkt },
      { status: 200, tokenType: 'DPoP', jkt },
    ]);
    expect((await readStoredKey(second)).thumbprint).toBe(jkt);

    // The only refusal is the restore before the login: there was no session yet.
    expect(problems.filter((problem) => !problem.includes('401'))).toEqual([]);
  });

  it('makes the profile’s key as the page loads, before any sign-in (the OAuth links carry its thumbprint)', async () => {
    const page = await open(await devices.add());
    await status(page).getByText('Not logged in').waitFor();
    const stored = await readStoredKey(page);
    expect(stored.found).toBe(true);
    expect(stored.privateExtractable).toBe(false);
  });

  it('with server nonces (DPOP_NONCES=true), the page signs in after one retry with the nonce', async () => {
    const nonced = await startApp({ DPOP_NONCES: 'true' });
    try {
      const email = uniqueEmail('dpop-nonce');
      await register(nonced.app, email);
      const context = await devices.add();
      const proofs: { path: string; nonce: string | null }[] = [];
      context.on('request', (request) => {
        const proof = request.headers()['dpop'];
        if (!proof) return;
        const claims = decodeJwt(proof).payload as { nonce?: string };
        proofs.push({ path: new URL(request.url()).pathname, nonce: claims.nonce ?? null });
      });
      const page = await open(context, nonced.origin);
      await status(page).getByText('Not logged in').waitFor();
      const form = page.getByRole('form', { name: 'Log in' });
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Password').fill(PASSWORD);
      await form.getByRole('button', { name: 'Log in' }).click();
      await status(page).getByText(`Logged in as ${email}`).waitFor();
      await binding(page).getByText('Session bound to this browser’s key (DPoP)').waitFor();
      expect(await whoAmI(page)).toBe(email);
      // Nothing handed the page a nonce before its login (the restore found no cookie before any proof was
      // read): the login's first proof had none, was refused with one, and went again once, with it. From then
      // on every proof carries the latest nonce.
      const logins = proofs.filter((proof) => proof.path === '/api/auth/login');
      expect(logins).toEqual([
        { path: '/api/auth/login', nonce: null },
        { path: '/api/auth/login', nonce: expect.any(String) },
      ]);
      const afterLogin = proofs.slice(proofs.indexOf(logins[1]));
      expect(afterLogin.length).toBeGreaterThan(1);
      expect(afterLogin.every((proof) => proof.nonce !== null)).toBe(true);
    } finally {
      await nonced.app.stop();
    }
  });
});
