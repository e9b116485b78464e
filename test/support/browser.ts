import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, CDPSession, chromium, ConsoleMessage, Page } from 'playwright-core';
import type { Protocol } from 'playwright-core/types/protocol';
import { PASSWORD } from './auth-client';
import { TestMailbox } from './mailbox';
import { freePort } from './server-process';
import { Env, TestApp } from './test-app';

/** Debian's Chromium (`.ci/run` installs it with apt-get): the tests never download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go: git-ignored, kept by CI as the run's artefacts. */
export const ARTIFACTS_DIR = resolve(__dirname, '../../test-artifacts');

/**
 * Headless Chromium, with the flags this machine needs: no sandbox (root), no GPU, and none of the background
 * traffic to Google's hosts that a closed network refuses. Playwright gives each launch a new empty profile.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects a page's console errors and failed requests, e.g. a CSP refusal, for a test to assert on. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Browser profiles of a suite, each with its own cookie jar like another device; `closeAll` after each test. */
export class Devices {
  private readonly contexts: BrowserContext[] = [];

  constructor(private readonly browser: () => Browser) {}

  async add(): Promise<BrowserContext> {
    const context = await this.browser().newContext({ viewport: { width: 1100, height: 900 } });
    this.contexts.push(context);
    return context;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.contexts.splice(0).map((context) => context.close()));
  }
}

/** Builds the demo page from the current client code, as `npm run build` does (types are checked by lint). */
export function buildDemoPage(): void {
  execFileSync(process.execPath, [resolve(__dirname, '../../scripts/build-demo.mjs'), '--no-typecheck'], {
    stdio: 'pipe',
  });
}

/** The demo page's status line: who is logged in. */
export const pageStatus = (page: Page) => page.getByRole('status');

/** Logs in with the demo page's form, and waits until the page says so. */
export async function logInOnPage(page: Page, email: string, password = PASSWORD): Promise<void> {
  await pageStatus(page).getByText('Not logged in').waitFor();
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await pageStatus(page).getByText(`Logged in as ${email}`).waitFor();
}

/**
 * The demo page on the embedded database with a real SMTP server in this process, and headless Chromium: for the
 * suites that follow mailed links into the page. The app's origin is fixed before it listens, since it goes in
 * the mailed links and the DPoP proofs name it. `devices.closeAll()` after each test, `stop()` after the suite.
 */
export class DemoWithMail {
  mailbox!: TestMailbox;
  app!: TestApp;
  origin!: string;
  private browser?: Browser;
  readonly devices = new Devices(() => this.browser!);

  async start(env: Env = {}): Promise<this> {
    buildDemoPage();
    this.mailbox = await TestMailbox.start();
    const port = await freePort();
    this.origin = `http://127.0.0.1:${port}`;
    this.app = await TestApp.start('pglite', {
      env: { SMTP_URL: this.mailbox.url, APP_URL: this.origin, PUBLIC_URL: this.origin, ...env },
    });
    await this.app.app.listen({ port, host: '127.0.0.1' });
    this.browser = await launchChromium();
    return this;
  }

  /** A new page of `context` at `url` (the page's own address by default). */
  async open(context: BrowserContext, url = this.origin): Promise<Page> {
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.app?.stop();
    await this.mailbox?.stop();
  }
}

/**
 * Chromium's virtual authenticator for one page, over CDP: a platform authenticator (`internal`) that keeps
 * discoverable credentials, verifies the user and answers at once, as a phone or a laptop with a fingerprint
 * reader would. `WebAuthn.enable {enableUI: false}` keeps Chromium's own dialogs away.
 */
export class VirtualAuthenticator {
  private constructor(
    private readonly session: CDPSession,
    readonly authenticatorId: string,
  ) {}

  static async attach(page: Page): Promise<VirtualAuthenticator> {
    const session = await page.context().newCDPSession(page);
    await session.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await session.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return new VirtualAuthenticator(session, authenticatorId);
  }

  /** The credentials it holds (private keys included): what a test checks a registration left on the device. */
  async credentials(): Promise<Protocol.WebAuthn.Credential[]> {
    const { credentials } = await this.session.send('WebAuthn.getCredentials', {
      authenticatorId: this.authenticatorId,
    });
    return credentials;
  }

  /** With `false`, the user fails verification (a wrong fingerprint): the browser rejects with NotAllowedError. */
  async setUserVerified(isUserVerified: boolean): Promise<void> {
    await this.session.send('WebAuthn.setUserVerified', {
      authenticatorId: this.authenticatorId,
      isUserVerified,
    });
  }

  /** With `true`, its assertions carry a signature of zeros, which the browser passes on as it is. */
  async setBogusSignature(isBogusSignature: boolean): Promise<void> {
    await this.session.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId: this.authenticatorId,
      isBogusSignature,
    });
  }
}
