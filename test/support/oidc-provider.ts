import { generateKeyPairSync } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './http-test-server';

// oidc-provider is ESM-only and ships no types; Jest's loader needs a real dynamic import, which TypeScript would
// compile into require() (see NOTES.md).
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function('s', 'return import(s)') as <T>(s: string) => Promise<T>;

/** The few parts of oidc-provider's `Provider` (a Koa app) that this file uses. */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: 'server_error', listener: (ctx: unknown, error: Error) => void): void;
  on(event: 'grant.success', listener: (ctx: { body?: Record<string, unknown> }) => void): void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

export interface ProviderAccount {
  sub: string;
  email: string;
  emailVerified: boolean;
  name?: string;
}

export interface ProviderClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface TestOidcProviderOptions {
  clients: ProviderClient[];
  /** The host name in the issuer; the server listens on the loopback address either way. */
  host?: 'localhost' | '127.0.0.1';
  /** A fixed port (0 or absent: any free one). */
  port?: number;
}

/**
 * Cookies by name and path, as a browser would keep them for one host: enough for the provider's
 * session, interaction and resume cookies, which are scoped to different paths.
 */
class CookieJar {
  private cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      const attribute = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const gone =
        attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      const key = `${name};${path}`;
      if (gone) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.replace(/\/?$/, '/')))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

/** One browser's walk through the provider's pages: fetch without following redirects, a cookie jar. */
class ProviderBrowser {
  private jar = new CookieJar();

  constructor(private issuer: string) {}

  async get(url: URL): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  async postForm(url: URL, fields: Record<string, string>): Promise<Response> {
    return this.send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Follows redirects within the provider; stops at the first one that leaves it, and returns where it points. */
  async followToClient(response: Response): Promise<URL | Response> {
    let current = response;
    while (current.status >= 300 && current.status < 400) {
      const next = new URL(current.headers.get('location')!, current.url || this.issuer);
      if (next.origin !== new URL(this.issuer).origin) return next;
      current = await this.get(next);
    }
    return current;
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    const cookie = this.jar.header(url);
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    this.jar.store(response);
    // fetch leaves `url` empty on some manual redirects; keep the request's for resolving relative Locations.
    if (!response.url) Object.defineProperty(response, 'url', { value: url.toString() });
    return response;
  }
}

/** The `action` of the page's form, resolved against the page. */
function formAction(html: string, page: string): URL {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no form on the provider's page:\n${html.slice(0, 2000)}`);
  return new URL(match[1].replace(/&amp;/g, '&'), page);
}

/**
 * A real OpenID provider (panva's certified oidc-provider) in the test process, on the loopback address.
 * Its development login page accepts any password for a known `sub`; PKCE is required of every client and the
 * RFC 9207 `iss` parameter is sent with every authorization response.
 */
export class TestOidcProvider {
  readonly issuer: string;
  /** Every access token and id_token the token endpoint handed out: secrets the client must never log. */
  readonly issuedTokens: string[] = [];
  private accounts = new Map<string, ProviderAccount>();
  private server?: Server;

  private constructor(
    readonly port: number,
    host: string,
  ) {
    this.issuer = `http://${host}:${port}`;
  }

  static async start(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
    const { default: Provider } = await importEsm<{ default: ProviderClass }>('oidc-provider');
    const { server, port } = await listenOnLoopback(options.port);
    const testProvider = new TestOidcProvider(port, options.host ?? 'localhost');
    testProvider.server = server;
    const provider = new Provider(testProvider.issuer, testProvider.configuration(options.clients));
    // A provider-side failure would otherwise show up only as an opaque 500 in the app under test.
    provider.on('server_error', (_ctx, error) => console.error('test OpenID provider error:', error));
    provider.on('grant.success', (ctx) => {
      for (const key of ['access_token', 'id_token', 'refresh_token']) {
        const token = ctx.body?.[key];
        if (typeof token === 'string') testProvider.issuedTokens.push(token);
      }
    });
    server.on('request', provider.callback());
    return testProvider;
  }

  /** Where the provider's discovery document says its authorization endpoint is. */
  get authorizationEndpoint(): string {
    return `${this.issuer}/auth`;
  }

  /** Adds the account, or replaces the one with the same `sub`. */
  account(account: ProviderAccount): void {
    this.accounts.set(account.sub, account);
  }

  /**
   * Follows `authorizationUrl` through the provider's login and consent pages as `sub`, in a fresh browser;
   * resolves with the URL the provider finally redirects to (the client's callback), without requesting it.
   */
  async signIn(authorizationUrl: string, sub: string): Promise<URL> {
    const browser = new ProviderBrowser(this.issuer);
    let step = await browser.followToClient(await browser.get(new URL(authorizationUrl)));
    for (let page = 0; page < 3 && !(step instanceof URL); page++) {
      const html = await step.text();
      if (step.status !== 200)
        throw new Error(`the provider answered ${step.status}:\n${html.slice(0, 2000)}`);
      const action = formAction(html, step.url);
      const fields: Record<string, string> = html.includes('name="prompt" value="login"')
        ? { prompt: 'login', login: sub, password: 'any password: development login' }
        : { prompt: 'consent' };
      step = await browser.followToClient(await browser.postForm(action, fields));
    }
    if (!(step instanceof URL)) throw new Error('the provider never redirected back to the client');
    return step;
  }

  /** Starts a sign-in and aborts it on the login page: resolves with the callback URL carrying the error. */
  async deny(authorizationUrl: string): Promise<URL> {
    const browser = new ProviderBrowser(this.issuer);
    const step = await browser.followToClient(await browser.get(new URL(authorizationUrl)));
    if (step instanceof URL) throw new Error(`the provider redirected at once to ${step.toString()}`);
    const html = await step.text();
    const abort = /href="([^"]*\/abort)"/.exec(html);
    if (!abort) throw new Error(`no abort link on the provider's page:\n${html.slice(0, 2000)}`);
    const end = await browser.followToClient(await browser.get(new URL(abort[1], step.url)));
    if (!(end instanceof URL)) throw new Error('the provider did not redirect back after the abort');
    return end;
  }

  /** Closes the port, open connections included, so that the same port can be listened on again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private configuration(clients: ProviderClient[]): Record<string, unknown> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      clients: clients.map((client) => ({
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: client.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-provider', use: 'sig' }] },
      cookies: { keys: ['test provider cookie key, not a secret'] },
      // Explicit lifetimes (in seconds): the defaults work but print a notice each time they are used.
      ttl: {
        AuthorizationCode: 60,
        AccessToken: 600,
        IdToken: 600,
        Grant: 600,
        Interaction: 600,
        Session: 600,
      },
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = this.accounts.get(sub);
        if (!account) return undefined;
        return {
          accountId: sub,
          claims: () => ({
            sub,
            email: account.email,
            email_verified: account.emailVerified,
            ...(account.name === undefined ? {} : { name: account.name }),
          }),
        };
      },
    };
  }
}
