import type {
  AuditEventDto,
  AuthenticationCredentialDto,
  IdentityDto,
  PasskeyCreationOptionsDto,
  PasskeyDto,
  PasskeyRequestOptionsDto,
  ProviderDto,
  RegistrationCredentialDto,
  UserDto,
} from './api-types';
import {
  ApiError,
  ChannelLike,
  ClientEvent,
  CredentialsContainerLike,
  GatehouseClient,
  GatehouseClientOptions,
  LockManagerLike,
  PublicKeyCredentialStatics,
  TimersLike,
} from './client';

const USER: UserDto = {
  id: '8a4f1b8e-4c56-4bd0-9a57-6f9f5b1c2d3e',
  email: 'ada@example.com',
  emailVerified: false,
  displayName: 'Ada',
  roles: ['user'],
  createdAt: '2026-01-01T00:00:00.000Z',
};
const PROVIDERS: ProviderDto[] = [
  { id: 'corp', name: 'Corp' },
  { id: 'github', name: 'GitHub' },
];
const IDENTITY: IdentityDto = {
  id: '0c9a7d3e-1f2b-4c5d-8e9f-a0b1c2d3e4f5',
  provider: 'corp',
  email: 'ada@corp.example',
  createdAt: '2026-01-02T00:00:00.000Z',
  lastUsedAt: '2026-01-03T00:00:00.000Z',
};
const LIFETIME_SECONDS = 60;
const MFA_TOKEN = 'mfa-challenge-token';
const MFA_METHODS = ['totp', 'recovery_code'];
const TOTP_CODE = '123456';
/** The code the fake server mailed for a sign-in by email. */
const EMAIL_CODE = '01234567';
const RECOVERY_CODES = Array.from({ length: 10 }, (_, n) => `code-${n}`);
const OTPAUTH_URL = 'otpauth://totp/Gatehouse:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse';
const PASSKEY: PasskeyDto = {
  id: '5b3c2a1d-9e8f-4a7b-8c6d-1e2f3a4b5c6d',
  name: 'Work laptop',
  createdAt: '2026-01-04T00:00:00.000Z',
  lastUsedAt: null,
};
const CREATION_OPTIONS: PasskeyCreationOptionsDto = {
  challenge: 'cmVnaXN0cmF0aW9uLWNoYWxsZW5nZQ',
  rp: { id: 'app.example', name: 'Gatehouse' },
  user: { id: 'cmFuZG9tLWhhbmRsZQ', name: USER.email, displayName: 'Ada' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  timeout: 300_000,
  excludeCredentials: [],
  authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  attestation: 'none',
};
const REQUEST_OPTIONS: PasskeyRequestOptionsDto = {
  challenge: 'bG9naW4tY2hhbGxlbmdl',
  rpId: 'app.example',
  timeout: 300_000,
  userVerification: 'required',
  allowCredentials: [],
};
/** What `toJSON()` of a new credential and of an assertion give, as far as the client cares: opaque JSON. */
const ATTESTATION: RegistrationCredentialDto = {
  id: 'Y3JlZGVudGlhbC0x',
  rawId: 'Y3JlZGVudGlhbC0x',
  type: 'public-key',
  response: { clientDataJSON: 'Y2xpZW50', attestationObject: 'YXR0ZXN0' },
  clientExtensionResults: {},
};
const ASSERTION: AuthenticationCredentialDto = {
  id: 'Y3JlZGVudGlhbC0x',
  rawId: 'Y3JlZGVudGlhbC0x',
  type: 'public-key',
  response: { clientDataJSON: 'Y2xpZW50', authenticatorData: 'YXV0aA', signature: 'c2ln', userHandle: 'aA' },
  clientExtensionResults: {},
};
const EVENT: AuditEventDto = {
  id: '1042',
  type: 'login.succeeded',
  at: '2026-01-05T00:00:00.000Z',
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 <script>',
  details: { sessionId: 'session-1' },
};
/** The origin of the page the client runs in (`location.origin`), set for every test below. */
const PAGE_ORIGIN = 'https://app.example';

/** A JWT-shaped string whose payload carries a session id, as the server's access tokens do. */
function fakeJwt(sid: string, n: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'at+jwt' })}.${part({ sid, n })}.signature`;
}

interface Recorded {
  method: string;
  /** The absolute URL the request went to. */
  url: string;
  /** The path on the API (the API's path prefix taken off), or the whole URL when it is not on the API. */
  path: string;
  authorization: string | null;
  credentials: RequestInit['credentials'];
  contentType: string | null;
  /** The body as sent (a JSON string), when there was one. */
  body: string | null;
}

/**
 * The server as a browser sees it: one cookie jar (shared by every tab), refresh rotation, and guarded routes
 * that accept only the live access tokens.
 */
class FakeServer {
  readonly requests: Recorded[] = [];
  readonly validTokens = new Set<string>();
  hasCookie = false;
  offline = false;
  refreshAnswer: 200 | 401 | 503 = 200;
  /** Routes that answer 401 whatever the token. */
  readonly alwaysUnauthorized = new Set<string>();
  /** Where this server is: the page's origin, or another origin and a path prefix (the client's `baseUrl`). */
  apiBase = PAGE_ORIGIN;
  /** What `POST …/link` answers with. */
  linkUrl = 'https://id.corp.example/auth?client_id=gatehouse&state=s';
  /** The identity whose unlinking answers 409. */
  lastWayToSignIn = 'last-identity';
  /** The user has the second factor on: a right password answers a challenge, not tokens. */
  mfaOn = false;
  /** The session did not pass the second factor the user has on: a new passkey is refused (RFC 9470). */
  secondFactorOwed = false;
  /** The passkey whose deletion answers 409. */
  lastPasskey = 'last-passkey';
  private issued = 0;

  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    // As in a browser, a relative URL is the page's.
    const target = new URL(url, PAGE_ORIGIN);
    const base = new URL(this.apiBase);
    const prefix = base.pathname.replace(/\/+$/, '');
    const onApi = target.origin === base.origin && target.pathname.startsWith(`${prefix}/`);
    const path = onApi ? target.pathname.slice(prefix.length) : target.href;
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    const authorization = headers.get('Authorization');
    this.requests.push({
      method,
      url: target.href,
      path,
      authorization,
      credentials: init.credentials,
      contentType: headers.get('Content-Type'),
      body: typeof init.body === 'string' ? init.body : null,
    });
    if (this.offline) throw new TypeError('Failed to fetch');
    await new Promise((resolve) => setTimeout(resolve, 1));
    const route = `${method} ${path}`;
    if (route === 'POST /api/auth/login') return this.firstFactorPassed();
    if (route === 'POST /api/auth/email-code') {
      const { email } = JSON.parse(init.body as string) as { email: string };
      if (!email.includes('@')) {
        return this.json(400, { statusCode: 400, message: ['email must be an email'], error: 'Bad Request' });
      }
      return this.json(202, { status: 'accepted' });
    }
    if (route === 'POST /api/auth/email-code/verify') {
      const { code } = JSON.parse(init.body as string) as { code: string };
      if (code !== EMAIL_CODE) {
        return this.json(401, {
          statusCode: 401,
          message: 'the code is wrong, used or expired',
          error: 'Unauthorized',
        });
      }
      return this.firstFactorPassed();
    }
    if (route === 'POST /api/auth/mfa/verify') {
      const { mfaToken, code, recoveryCode } = JSON.parse(init.body as string) as Record<string, string>;
      if (mfaToken !== MFA_TOKEN || (code !== TOTP_CODE && recoveryCode !== RECOVERY_CODES[0])) {
        return this.json(401, { statusCode: 401, message: 'wrong code', error: 'Unauthorized' });
      }
      this.hasCookie = true;
      return this.tokenResponse();
    }
    if (route === 'POST /api/auth/refresh') {
      if (this.refreshAnswer === 503) return this.json(503, { statusCode: 503, message: 'down', error: 'x' });
      if (this.refreshAnswer === 401 || !this.hasCookie) {
        this.hasCookie = false;
        return this.json(401, { statusCode: 401, message: 'no session', error: 'Unauthorized' });
      }
      return this.tokenResponse();
    }
    if (route === 'POST /api/auth/logout') {
      this.hasCookie = false;
      this.validTokens.clear();
      return new Response(null, { status: 204 });
    }
    if (route === 'GET /api/auth/oauth/providers') return this.json(200, PROVIDERS);
    if (route === 'POST /api/auth/passkeys/login/options') return this.json(200, REQUEST_OPTIONS);
    if (route === 'POST /api/auth/passkeys/login') {
      const { credential } = JSON.parse(init.body as string) as { credential: { id: string } };
      if (credential.id !== ASSERTION.id) {
        return this.json(401, { statusCode: 401, message: 'unknown passkey', error: 'Unauthorized' });
      }
      this.hasCookie = true;
      return this.tokenResponse();
    }
    const token = authorization?.replace(/^Bearer /, '');
    if (this.alwaysUnauthorized.has(path) || token === undefined || !this.validTokens.has(token)) {
      return this.json(401, { statusCode: 401, message: 'Unauthorized', error: 'Unauthorized' });
    }
    if (route === 'POST /api/auth/logout-all') {
      this.hasCookie = false;
      this.validTokens.clear();
      return new Response(null, { status: 204 });
    }
    if (route.startsWith('POST /api/auth/oauth/') && route.endsWith('/link')) {
      return this.json(200, { url: this.linkUrl });
    }
    if (route === 'GET /api/auth/activity') return this.json(200, { items: [EVENT] });
    if (route === 'GET /api/auth/identities') return this.json(200, [IDENTITY]);
    if (route === 'POST /api/auth/passkeys/register/options') {
      if (this.secondFactorOwed) {
        return this.json(
          401,
          { statusCode: 401, message: 'a second factor is required', error: 'Unauthorized' },
          {
            'WWW-Authenticate':
              'Bearer error="insufficient_user_authentication", error_description="a second factor is required"',
          },
        );
      }
      return this.json(200, CREATION_OPTIONS);
    }
    if (route === 'POST /api/auth/passkeys/register') {
      const { name } = JSON.parse(init.body as string) as { name?: string };
      return this.json(201, { ...PASSKEY, name: name ?? 'Passkey' });
    }
    if (route === 'GET /api/auth/passkeys') return this.json(200, [PASSKEY]);
    if (method === 'PATCH' && path.startsWith('/api/auth/passkeys/')) {
      const { name } = JSON.parse(init.body as string) as { name: string };
      return this.json(200, { ...PASSKEY, name });
    }
    if (route === `DELETE /api/auth/passkeys/${this.lastPasskey}`) {
      return this.json(409, { statusCode: 409, message: 'the last way to sign in', error: 'Conflict' });
    }
    if (route === 'POST /api/auth/mfa/totp/setup') {
      if (this.mfaOn) return this.json(409, { statusCode: 409, message: 'already on', error: 'Conflict' });
      return this.json(200, { secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: OTPAUTH_URL });
    }
    if (route.startsWith('POST /api/auth/mfa/') || route === 'DELETE /api/auth/mfa/totp') {
      const { code, recoveryCode } = JSON.parse(init.body as string) as Record<string, string>;
      if (code !== TOTP_CODE && recoveryCode !== RECOVERY_CODES[0]) {
        return this.json(400, { statusCode: 400, message: 'wrong code', error: 'Bad Request' });
      }
      this.mfaOn = method !== 'DELETE';
      return method === 'DELETE'
        ? new Response(null, { status: 204 })
        : this.json(200, { recoveryCodes: RECOVERY_CODES });
    }
    if (route === `DELETE /api/auth/identities/${this.lastWayToSignIn}`) {
      return this.json(409, { statusCode: 409, message: 'the last way to sign in', error: 'Conflict' });
    }
    if (method === 'DELETE') return new Response(null, { status: 204 });
    return this.json(200, USER);
  };

  count(route: string): number {
    return this.requests.filter((request) => `${request.method} ${request.path}` === route).length;
  }

  requestsTo(route: string): Recorded[] {
    return this.requests.filter((request) => `${request.method} ${request.path}` === route);
  }

  /** The token the server issued last. */
  get latestToken(): string {
    return fakeJwt('session-1', this.issued);
  }

  /** A right password or code: the second factor's challenge when it is on, else a session and its cookie. */
  private firstFactorPassed(): Response {
    if (this.mfaOn) {
      return this.json(200, { mfaRequired: true, mfaToken: MFA_TOKEN, methods: MFA_METHODS, expiresIn: 300 });
    }
    this.hasCookie = true;
    return this.tokenResponse();
  }

  private tokenResponse(): Response {
    this.issued += 1;
    this.validTokens.add(this.latestToken);
    return this.json(200, {
      accessToken: this.latestToken,
      tokenType: 'Bearer',
      expiresIn: LIFETIME_SECONDS,
      user: USER,
    });
  }

  private json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  }
}

/**
 * The browser's WebAuthn as the client sees it: `PublicKeyCredential`'s JSON parsers (which here only wrap what
 * they are given, to show it went through them) and `navigator.credentials`, answering a credential whose
 * `toJSON()` is the server's JSON, or refusing as a browser does when the user cancels.
 */
class FakeWebAuthn {
  readonly calls: { method: 'create' | 'get'; publicKey: unknown }[] = [];
  /** Makes the next `create`/`get` reject as a browser does when the user cancels or fails verification. */
  refuse: DOMException | null = null;
  assertion: AuthenticationCredentialDto = ASSERTION;

  readonly publicKeyCredential: PublicKeyCredentialStatics = {
    parseCreationOptionsFromJSON: (options) => ({ parsed: 'creation', options }),
    parseRequestOptionsFromJSON: (options) => ({ parsed: 'request', options }),
  };

  readonly credentials: CredentialsContainerLike = {
    create: ({ publicKey }) => this.answer('create', publicKey, ATTESTATION),
    get: ({ publicKey }) => this.answer('get', publicKey, this.assertion),
  };

  private async answer(method: 'create' | 'get', publicKey: unknown, json: unknown): Promise<unknown> {
    this.calls.push({ method, publicKey });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (this.refuse) throw this.refuse;
    return { id: 'Y3JlZGVudGlhbC0x', type: 'public-key', toJSON: () => json };
  }
}

/** A clock and timers the test moves by hand. */
class FakeClock implements TimersLike {
  now = Date.UTC(2026, 0, 1);
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time on, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= until)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].callback();
    }
    this.now = until;
  }
}

/** `navigator.locks` for one browser: an exclusive lock handed over in request order. */
class FakeLocks implements LockManagerLike {
  private held = false;
  private readonly queue: (() => void)[] = [];
  grants = 0;

  async request<T>(
    _name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T> {
    if (this.held && options.ifAvailable) return callback(null);
    if (this.held) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.held = true;
    this.grants += 1;
    try {
      return await callback({});
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.held = false;
    }
  }
}

/** BroadcastChannel between the tabs of one browser: asynchronous, to every channel but the sender. */
class FakeHub {
  private readonly channels = new Set<{ deliver: (data: unknown) => void }>();

  channel(): ChannelLike {
    const listeners: ((event: { data: unknown }) => void)[] = [];
    const self = {
      deliver: (data: unknown) => listeners.forEach((listener) => listener({ data })),
    };
    this.channels.add(self);
    return {
      postMessage: (message: unknown) => {
        const copy = structuredClone(message);
        for (const other of this.channels) {
          if (other !== self) setTimeout(() => other.deliver(copy), 0);
        }
      },
      addEventListener: (_type, listener) => listeners.push(listener),
      close: () => this.channels.delete(self),
    };
  }
}

/** One browser: a server, a clock, a lock manager and a channel hub shared by its tabs. */
function browser() {
  const server = new FakeServer();
  const clock = new FakeClock();
  const locks = new FakeLocks();
  const hub = new FakeHub();
  const tabs: GatehouseClient[] = [];
  const events: ClientEvent[][] = [];
  function tab(options: GatehouseClientOptions = {}): { client: GatehouseClient; events: ClientEvent[] } {
    const client = new GatehouseClient({
      fetch: server.fetch,
      now: () => clock.now,
      timers: clock,
      locks,
      channel: hub.channel(),
      ...options,
    });
    const seen: ClientEvent[] = [];
    client.subscribe((event) => seen.push(event));
    tabs.push(client);
    events.push(seen);
    return { client, events: seen };
  }
  return { server, clock, locks, hub, tab, tabs };
}

/** Lets channel messages (delivered on the next macrotask) arrive. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('GatehouseClient', () => {
  let world: ReturnType<typeof browser>;
  const page = globalThis as { location?: { origin: string } };

  beforeAll(() => {
    page.location = { origin: PAGE_ORIGIN };
  });
  afterAll(() => {
    delete page.location;
  });
  beforeEach(() => {
    world = browser();
  });
  afterEach(() => {
    world.tabs.forEach((client) => client.close());
  });

  async function loggedInTab(options: GatehouseClientOptions = {}) {
    const tab = world.tab(options);
    await tab.client.login(USER.email, 'a long enough passphrase');
    return tab;
  }

  describe('apiFetch', () => {
    it('sends the access token as a bearer token, and the cookie-bearing credentials mode', async () => {
      const { client } = await loggedInTab();
      const response = await client.apiFetch('/api/users/me');
      expect(response.status).toBe(200);
      const [call] = world.server.requestsTo('GET /api/users/me');
      expect(call.authorization).toBe(`Bearer ${world.server.latestToken}`);
      expect(call.credentials).toBe('include');
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);
    });

    it('makes one refresh for ten concurrent calls after the token expired, and all ten succeed', async () => {
      const { client } = await loggedInTab();
      world.clock.advance((LIFETIME_SECONDS + 1) * 1000);

      const responses = await Promise.all(Array.from({ length: 10 }, () => client.apiFetch('/api/users/me')));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      const fresh = `Bearer ${world.server.latestToken}`;
      expect(world.server.requestsTo('GET /api/users/me').map((call) => call.authorization)).toEqual(
        Array(10).fill(fresh),
      );
    });

    it('refreshes shortly before expiry (a quarter of the lifetime at most), not earlier', async () => {
      const { client } = await loggedInTab({ refreshLeewaySeconds: 30 });
      // 60 s tokens: the leeway is capped at 15 s.
      world.clock.advance(44_000);
      await client.apiFetch('/api/users/me');
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);

      world.clock.advance(2_000);
      await client.apiFetch('/api/users/me');
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
    });

    it('on a 401, refreshes once and retries the request once with the new token', async () => {
      const { client, events } = await loggedInTab();
      const revoked = world.server.latestToken;
      world.server.validTokens.delete(revoked);

      const response = await client.apiFetch('/api/users/me');

      expect(response.status).toBe(200);
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      expect(world.server.requestsTo('GET /api/users/me').map((call) => call.authorization)).toEqual([
        `Bearer ${revoked}`,
        `Bearer ${world.server.latestToken}`,
      ]);
      expect(events.at(-1)).toMatchObject({ type: 'refresh', reason: 'unauthorized', source: 'this-tab' });
    });

    it('makes one refresh for ten concurrent calls refused with 401', async () => {
      const { client } = await loggedInTab();
      world.server.validTokens.clear();

      const responses = await Promise.all(Array.from({ length: 10 }, () => client.apiFetch('/api/users/me')));

      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      expect(world.server.count('GET /api/users/me')).toBe(20);
    });

    it('never loops: a retry refused again is returned as it is, after one refresh', async () => {
      const { client } = await loggedInTab();
      world.server.alwaysUnauthorized.add('/api/notes');

      const response = await client.apiFetch('/api/notes');

      expect(response.status).toBe(401);
      expect(world.server.count('GET /api/notes')).toBe(2);
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      // The refresh itself worked: the session goes on.
      expect(client.isLoggedIn).toBe(true);
    });

    it('ends the session without a retry when the refresh is refused too', async () => {
      const { client, events } = await loggedInTab();
      world.server.validTokens.clear();
      world.server.refreshAnswer = 401;

      const response = await client.apiFetch('/api/users/me');

      expect(response.status).toBe(401);
      expect(world.server.count('GET /api/users/me')).toBe(1);
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      expect(client.isLoggedIn).toBe(false);
      expect(events.at(-1)).toEqual({ type: 'logout', reason: 'session-ended', source: 'this-tab' });

      // And it does not keep knocking: the next call goes out without a token and without a refresh.
      await client.apiFetch('/api/users/me');
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      expect(world.server.requestsTo('GET /api/users/me')[1].authorization).toBeNull();
    });

    it('keeps the session through a server outage during a refresh', async () => {
      const { client } = await loggedInTab();
      world.server.refreshAnswer = 503;
      const token = world.server.latestToken;

      // Expiring soon but not expired: the old token is still sent.
      world.clock.advance(50_000);
      expect((await client.apiFetch('/api/users/me')).status).toBe(200);
      expect(world.server.requestsTo('GET /api/users/me')[0].authorization).toBe(`Bearer ${token}`);

      // Expired: the call fails with the outage, and the client is still logged in for the next try.
      world.clock.advance(20_000);
      await expect(client.apiFetch('/api/users/me')).rejects.toMatchObject({ status: 503 });
      expect(client.isLoggedIn).toBe(true);

      world.server.refreshAnswer = 200;
      expect((await client.apiFetch('/api/users/me')).status).toBe(200);
    });
  });

  describe('where requests go', () => {
    const API_BASE = 'https://api.example.com/gatehouse';
    const where = [
      ['on the page’s origin', {}],
      ['with a baseUrl that has a path prefix', { baseUrl: `${API_BASE}/` }],
    ] as const;

    // All but the last three reach another origin, or leave the API, once a URL parser has read them; those three
    // are simply not `/api/` paths.
    const offApi = [
      '//evil.example/api/x',
      '/\\evil.example/api/x',
      '/%2F%2Fevil.example/api/x',
      '/api/../..//evil.example/x',
      '/api/%2e%2e/%2E%2E//evil.example/x',
      '/api/..\\..\\evil.example/x',
      'https://evil.example/api/x',
      'http:evil.example/api/x',
      '/\t/evil.example/api/x',
      '/\n/evil.example/api/x',
      '/api/\t/../..//evil.example/x',
      '/apix',
      '/',
      '',
    ];

    describe.each(where)('%s', (_where, options) => {
      beforeEach(() => {
        world.server.apiBase = 'baseUrl' in options ? options.baseUrl : PAGE_ORIGIN;
      });

      it.each(offApi)('refuses %j and sends nothing, not even a refresh', async (path) => {
        const { client } = await loggedInTab(options);
        world.clock.advance((LIFETIME_SECONDS + 1) * 1000);
        const before = world.server.requests.length;

        const calls = [client.apiFetch(path), client.request('GET', path)];
        await Promise.allSettled(calls);

        expect(world.server.requests.slice(before)).toEqual([]);
        for (const call of calls) await expect(call).rejects.toThrow(TypeError);
      });
    });

    it('sends /api/ paths with the token to the page’s origin, query string kept', async () => {
      const { client } = await loggedInTab();

      expect((await client.apiFetch('/api/users/me?fields=email')).status).toBe(200);

      const calls = world.server.requests.map((call) => [call.method, call.url]);
      expect(calls).toEqual([
        ['POST', `${PAGE_ORIGIN}/api/auth/login`],
        ['GET', `${PAGE_ORIGIN}/api/users/me?fields=email`],
      ]);
      expect(world.server.requests[1].authorization).toBe(`Bearer ${world.server.latestToken}`);
    });

    it.each([API_BASE, `${API_BASE}/`])(
      'sends every call under the path prefix of baseUrl %j',
      async (baseUrl) => {
        world.server.apiBase = API_BASE;
        const { client } = await loggedInTab({ baseUrl });
        world.clock.advance((LIFETIME_SECONDS + 1) * 1000);

        expect((await client.apiFetch('/api/users/me')).status).toBe(200);
        await client.logout();

        expect(world.server.requests.map((call) => [call.method, call.url])).toEqual([
          ['POST', `${API_BASE}/api/auth/login`],
          ['POST', `${API_BASE}/api/auth/refresh`],
          ['GET', `${API_BASE}/api/users/me`],
          ['POST', `${API_BASE}/api/auth/logout`],
        ]);
        expect(world.server.requests[2].authorization).toBe(`Bearer ${world.server.latestToken}`);
      },
    );

    it('sends to a baseUrl on another origin without a path', async () => {
      world.server.apiBase = 'https://api.example.com';
      const { client } = await loggedInTab({ baseUrl: 'https://api.example.com' });

      expect(await client.me()).toEqual(USER);
      expect(world.server.requests.at(-1)).toMatchObject({
        url: 'https://api.example.com/api/users/me',
        authorization: `Bearer ${world.server.latestToken}`,
      });
    });

    it('refuses a baseUrl that is not http(s)', async () => {
      const { client } = world.tab({ baseUrl: 'file:///srv/api' });
      await expect(client.apiFetch('/api/users/me')).rejects.toThrow(TypeError);
      expect(world.server.requests).toEqual([]);
    });

    it('outside a page and without a baseUrl, refuses to guess where the API is', async () => {
      const { client } = world.tab();
      delete page.location;
      try {
        await expect(client.login(USER.email, 'a long enough passphrase')).rejects.toThrow(TypeError);
        await expect(client.apiFetch('/api/users/me')).rejects.toThrow(TypeError);
      } finally {
        page.location = { origin: PAGE_ORIGIN };
      }
      expect(world.server.requests).toEqual([]);
    });
  });

  describe('session', () => {
    it('restores the session from the refresh cookie alone after a page load', async () => {
      await loggedInTab();
      // A new page: nothing in memory, only the browser's cookie.
      const { client } = world.tab({ channel: null });
      expect(client.isLoggedIn).toBe(false);

      expect(await client.restore()).toBe(true);

      expect(client.state.user).toEqual(USER);
      expect(client.state.sessionId).toBe('session-1');
      const [call] = world.server.requestsTo('POST /api/auth/refresh');
      expect(call.credentials).toBe('include');
      expect(call.authorization).toBeNull();
    });

    it('restores nothing, without an error, when there is no cookie', async () => {
      const { client } = world.tab();
      expect(await client.restore()).toBe(false);
      expect(client.state).toEqual({ user: null, expiresAt: null, sessionId: null, tokenType: null });
    });

    it('logout clears the state, and later calls go out with no token and no refresh', async () => {
      const { client, events } = await loggedInTab();

      await client.logout();

      expect(world.server.requestsTo('POST /api/auth/logout')[0].credentials).toBe('include');
      expect(client.isLoggedIn).toBe(false);
      expect(client.state).toEqual({ user: null, expiresAt: null, sessionId: null, tokenType: null });
      expect(events.at(-1)).toEqual({ type: 'logout', reason: 'logout', source: 'this-tab' });

      const response = await client.apiFetch('/api/users/me');
      expect(response.status).toBe(401);
      expect(world.server.requestsTo('GET /api/users/me')[0].authorization).toBeNull();
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);
    });

    it('logout clears the state even when the server cannot be reached', async () => {
      const { client } = await loggedInTab();
      world.server.offline = true;
      await expect(client.logout()).rejects.toThrow('Failed to fetch');
      expect(client.isLoggedIn).toBe(false);
      expect(client.state).toEqual({ user: null, expiresAt: null, sessionId: null, tokenType: null });
    });

    it('logout-all and revoking the current session end the session here too', async () => {
      const first = await loggedInTab();
      await first.client.logoutAll();
      expect(first.client.isLoggedIn).toBe(false);
      expect(first.events.at(-1)).toMatchObject({ type: 'logout', reason: 'logout-all' });

      await first.client.login(USER.email, 'a long enough passphrase');
      await first.client.revokeSession('session-1');
      expect(world.server.count('DELETE /api/auth/sessions/session-1')).toBe(1);
      expect(first.client.isLoggedIn).toBe(false);
      expect(first.events.at(-1)).toMatchObject({ type: 'logout', reason: 'session-revoked' });
    });

    it('revoking another session keeps this one', async () => {
      const { client } = await loggedInTab();
      await client.revokeSession('some-other-session');
      expect(client.isLoggedIn).toBe(true);
    });

    it('reports a refused login as an ApiError with the server’s message', async () => {
      const client = new GatehouseClient({
        fetch: () =>
          Promise.resolve(
            new Response(
              JSON.stringify({
                statusCode: 401,
                message: 'invalid email or password',
                error: 'Unauthorized',
              }),
              { status: 401, headers: { 'Content-Type': 'application/json' } },
            ),
          ),
        locks: null,
        channel: null,
      });
      const failure = client.login('ada@example.com', 'wrong password here');
      await expect(failure).rejects.toBeInstanceOf(ApiError);
      await expect(failure).rejects.toMatchObject({ status: 401, message: '401: invalid email or password' });
      expect(client.isLoggedIn).toBe(false);
    });

    it('refreshes on a timer shortly before expiry when autoRefresh is on', async () => {
      const { client, events } = await loggedInTab({ autoRefresh: true, refreshLeewaySeconds: 10 });
      world.clock.advance(49_000);
      await settle();
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);

      world.clock.advance(1_000);
      await settle();
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
      expect(events.at(-1)).toMatchObject({ type: 'refresh', reason: 'scheduled', source: 'this-tab' });
      expect(client.state.expiresAt).toBe(world.clock.now + LIFETIME_SECONDS * 1000);
    });
  });

  describe('second factor', () => {
    it('answers a login without a second factor as signed in', async () => {
      const { client } = world.tab();
      expect(await client.login(USER.email, 'a long enough passphrase')).toEqual({
        mfaRequired: false,
        user: USER,
      });
      expect(client.isLoggedIn).toBe(true);
    });

    it('answers a challenge, holding no token, announcing nothing, when the account has the factor on', async () => {
      world.server.mfaOn = true;
      const first = world.tab();
      const second = world.tab();

      const result = await first.client.login(USER.email, 'a long enough passphrase');
      await settle();

      expect(result).toEqual({
        mfaRequired: true,
        mfaToken: MFA_TOKEN,
        methods: MFA_METHODS,
        expiresIn: 300,
      });
      expect(first.client.isLoggedIn).toBe(false);
      expect(first.client.state).toEqual({ user: null, expiresAt: null, sessionId: null, tokenType: null });
      expect(first.events).toEqual([]);
      expect(second.events).toEqual([]);
    });

    it('signs in with the code, exactly as a login does, in every tab', async () => {
      world.server.mfaOn = true;
      const first = world.tab();
      const second = world.tab();
      const challenge = await first.client.login(USER.email, 'a long enough passphrase');
      if (!challenge.mfaRequired) throw new Error('expected a challenge');

      expect(await first.client.verifyMfa(challenge.mfaToken, { code: TOTP_CODE })).toEqual(USER);
      await settle();

      const [call] = world.server.requestsTo('POST /api/auth/mfa/verify');
      expect(call).toMatchObject({
        authorization: null,
        credentials: 'include',
        contentType: 'application/json',
      });
      expect(JSON.parse(call.body!)).toEqual({ mfaToken: MFA_TOKEN, code: TOTP_CODE });
      expect(first.client.isLoggedIn).toBe(true);
      expect(first.client.state.expiresAt).toBe(world.clock.now + LIFETIME_SECONDS * 1000);
      expect(first.events).toEqual([
        expect.objectContaining({ type: 'login', user: USER, source: 'this-tab' }),
      ]);
      expect(second.client.isLoggedIn).toBe(true);
      expect(second.events).toEqual([
        expect.objectContaining({ type: 'login', user: USER, source: 'other-tab' }),
      ]);

      await first.client.me();
      const [me] = world.server.requestsTo('GET /api/users/me');
      expect(me.authorization).toBe(`Bearer ${world.server.latestToken}`);
    });

    it('sends a recovery code alone, and reports a wrong one as an ApiError 401, still signed out', async () => {
      world.server.mfaOn = true;
      const { client } = world.tab();

      const wrong = client.verifyMfa(MFA_TOKEN, { recoveryCode: 'not-a-code' });
      await expect(wrong).rejects.toBeInstanceOf(ApiError);
      await expect(wrong).rejects.toMatchObject({ status: 401 });
      expect(client.isLoggedIn).toBe(false);

      await client.verifyMfa(MFA_TOKEN, { recoveryCode: RECOVERY_CODES[0] });
      const calls = world.server.requestsTo('POST /api/auth/mfa/verify');
      expect(JSON.parse(calls[1].body!)).toEqual({ mfaToken: MFA_TOKEN, recoveryCode: RECOVERY_CODES[0] });
      expect(client.isLoggedIn).toBe(true);
    });

    it('sets the factor up and confirms it with the bearer token, answering the recovery codes', async () => {
      const { client } = await loggedInTab();

      expect(await client.setupTotp()).toEqual({ secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: OTPAUTH_URL });
      expect(await client.confirmTotp(TOTP_CODE)).toEqual(RECOVERY_CODES);

      const [setup] = world.server.requestsTo('POST /api/auth/mfa/totp/setup');
      const [confirm] = world.server.requestsTo('POST /api/auth/mfa/totp/confirm');
      expect(setup).toMatchObject({ authorization: `Bearer ${world.server.latestToken}`, body: null });
      expect(confirm.authorization).toBe(`Bearer ${world.server.latestToken}`);
      expect(JSON.parse(confirm.body!)).toEqual({ code: TOTP_CODE });
      expect(client.isLoggedIn).toBe(true);
    });

    it('reports a setup while on (409) and a wrong confirmation code (400) as ApiErrors', async () => {
      const { client } = await loggedInTab();
      await expect(client.confirmTotp('000000')).rejects.toMatchObject({ status: 400 });
      world.server.mfaOn = true;
      await expect(client.setupTotp()).rejects.toMatchObject({ status: 409 });
      expect(client.isLoggedIn).toBe(true);
    });

    it('replaces the recovery codes and turns the factor off with one of the two proofs', async () => {
      const { client } = await loggedInTab();
      world.server.mfaOn = true;

      expect(await client.replaceRecoveryCodes({ code: TOTP_CODE })).toEqual(RECOVERY_CODES);
      await client.disableTotp({ recoveryCode: RECOVERY_CODES[0] });

      const [replace] = world.server.requestsTo('POST /api/auth/mfa/recovery-codes');
      const [disable] = world.server.requestsTo('DELETE /api/auth/mfa/totp');
      expect(JSON.parse(replace.body!)).toEqual({ code: TOTP_CODE });
      expect(JSON.parse(disable.body!)).toEqual({ recoveryCode: RECOVERY_CODES[0] });
      expect(disable.authorization).toBe(`Bearer ${world.server.latestToken}`);
      expect(world.server.mfaOn).toBe(false);
      await expect(client.disableTotp({ code: '000000' })).rejects.toMatchObject({ status: 400 });
    });
  });

  describe('sign-in with a code by email', () => {
    it('asks for a code with the address alone: no token, no refresh, nothing signed in', async () => {
      const { client, events } = world.tab();

      await expect(client.requestEmailCode(USER.email)).resolves.toBeUndefined();

      const [call] = world.server.requestsTo('POST /api/auth/email-code');
      expect(call).toMatchObject({
        url: `${PAGE_ORIGIN}/api/auth/email-code`,
        authorization: null,
        credentials: 'include',
        contentType: 'application/json',
      });
      expect(JSON.parse(call.body!)).toEqual({ email: USER.email });
      expect(world.server.requests).toHaveLength(1);
      expect(client.isLoggedIn).toBe(false);
      expect(events).toEqual([]);
    });

    it('reports a refused request for a code as an ApiError with the server’s message', async () => {
      const { client } = world.tab();
      const refused = client.requestEmailCode('not an address');
      await expect(refused).rejects.toBeInstanceOf(ApiError);
      await expect(refused).rejects.toMatchObject({ status: 400, message: '400: email must be an email' });
    });

    it('signs in with the code exactly as a login does: the same answer, the session in every tab', async () => {
      const first = world.tab();
      const second = world.tab();

      const result = await first.client.verifyEmailCode(USER.email, EMAIL_CODE);
      await settle();

      expect(result).toEqual({ mfaRequired: false, user: USER });
      const [call] = world.server.requestsTo('POST /api/auth/email-code/verify');
      expect(call).toMatchObject({
        authorization: null,
        credentials: 'include',
        contentType: 'application/json',
      });
      expect(JSON.parse(call.body!)).toEqual({ email: USER.email, code: EMAIL_CODE });
      expect(first.client.state).toEqual({
        user: USER,
        expiresAt: world.clock.now + LIFETIME_SECONDS * 1000,
        sessionId: 'session-1',
        tokenType: 'Bearer',
      });
      expect(first.events).toEqual([
        expect.objectContaining({ type: 'login', user: USER, source: 'this-tab' }),
      ]);
      expect(second.client.isLoggedIn).toBe(true);
      expect(second.events).toEqual([
        expect.objectContaining({ type: 'login', user: USER, source: 'other-tab' }),
      ]);
      expect(world.locks.grants).toBe(1);

      await first.client.me();
      const [me] = world.server.requestsTo('GET /api/users/me');
      expect(me.authorization).toBe(`Bearer ${world.server.latestToken}`);
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);
    });

    it('answers the second factor’s challenge as a login does, and verifyMfa finishes the sign-in', async () => {
      world.server.mfaOn = true;
      const { client, events } = world.tab();
      const byPassword = await client.login(USER.email, 'a long enough passphrase');

      const byCode = await client.verifyEmailCode(USER.email, EMAIL_CODE);
      await settle();

      expect(byCode).toEqual(byPassword);
      expect(byCode).toEqual({
        mfaRequired: true,
        mfaToken: MFA_TOKEN,
        methods: MFA_METHODS,
        expiresIn: 300,
      });
      expect(client.isLoggedIn).toBe(false);
      expect(events).toEqual([]);

      expect(await client.verifyMfa(MFA_TOKEN, { code: TOTP_CODE })).toEqual(USER);
      expect(client.isLoggedIn).toBe(true);
      expect(events).toEqual([expect.objectContaining({ type: 'login', user: USER, source: 'this-tab' })]);
    });

    it('reports a wrong code as an ApiError 401 with the server’s message, still signed out, and no refresh', async () => {
      const { client, events } = world.tab();

      const wrong = client.verifyEmailCode(USER.email, '76543210');
      await expect(wrong).rejects.toBeInstanceOf(ApiError);
      await expect(wrong).rejects.toMatchObject({
        status: 401,
        message: '401: the code is wrong, used or expired',
      });
      expect(client.isLoggedIn).toBe(false);
      expect(events).toEqual([]);
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);

      await client.verifyEmailCode(USER.email, EMAIL_CODE);
      expect(client.isLoggedIn).toBe(true);
    });
  });

  describe('account history', () => {
    it('asks for a page of the user’s events with the bearer token, the limit and cursor in the query', async () => {
      const { client } = await loggedInTab();

      expect(await client.activity()).toEqual({ items: [EVENT] });
      expect(await client.activity({ limit: 10 })).toEqual({ items: [EVENT] });
      await client.activity({ limit: 10, before: EVENT.id });
      await client.activity({ before: '2026-01-05T00:00:00Z' });

      const calls = world.server.requestsTo('GET /api/auth/activity');
      expect(calls.map((call) => call.url)).toEqual([
        `${PAGE_ORIGIN}/api/auth/activity`,
        `${PAGE_ORIGIN}/api/auth/activity?limit=10`,
        `${PAGE_ORIGIN}/api/auth/activity?limit=10&before=1042`,
        `${PAGE_ORIGIN}/api/auth/activity?before=2026-01-05T00%3A00%3A00Z`,
      ]);
      expect(calls).toEqual(
        calls.map(() =>
          expect.objectContaining({ authorization: `Bearer ${world.server.latestToken}`, body: null }),
        ),
      );
    });

    it('reports a refusal as an ApiError: a 401 without a session', async () => {
      const { client } = world.tab();
      await expect(client.activity()).rejects.toMatchObject({ status: 401 });
      expect(world.server.requestsTo('GET /api/auth/activity')[0].authorization).toBeNull();
    });
  });

  describe('sign-in with other providers', () => {
    it('lists the providers without a token, a session or a refresh', async () => {
      const { client } = world.tab();

      expect(await client.providers()).toEqual(PROVIDERS);

      expect(world.server.requests).toEqual([
        expect.objectContaining({
          method: 'GET',
          url: `${PAGE_ORIGIN}/api/auth/oauth/providers`,
          authorization: null,
          body: null,
          contentType: null,
        }),
      ]);
    });

    it('builds the start link on the API, with returnTo in the query, and sends nothing', () => {
      const { client } = world.tab();

      expect(client.oauthStartUrl('corp')).toBe(`${PAGE_ORIGIN}/api/auth/oauth/corp/start`);
      expect(client.oauthStartUrl('corp', '/account?tab=2')).toBe(
        `${PAGE_ORIGIN}/api/auth/oauth/corp/start?returnTo=%2Faccount%3Ftab%3D2`,
      );
      expect(world.server.requests).toEqual([]);
    });

    it('builds the start link under the path prefix of baseUrl, on its origin', () => {
      const { client } = world.tab({ baseUrl: 'https://api.example.com/gatehouse/' });
      expect(client.oauthStartUrl('github', '/')).toBe(
        'https://api.example.com/gatehouse/api/auth/oauth/github/start?returnTo=%2F',
      );
    });

    it.each(['.', '..', ''])(
      'refuses the provider id %j, which would not stay one path segment, and sends nothing',
      async (providerId) => {
        const { client } = await loggedInTab();
        const before = world.server.requests.length;
        expect(() => client.oauthStartUrl(providerId)).toThrow(TypeError);
        await expect(client.linkProvider(providerId)).rejects.toThrow(TypeError);
        await expect(client.unlinkIdentity(providerId)).rejects.toThrow(TypeError);
        expect(world.server.requests.slice(before)).toEqual([]);
      },
    );

    it.each(['../../evil', 'a/b', 'a?returnTo=//evil.example', 'a#x', '...', '%2e%2e'])(
      'keeps the provider id %j one path segment of the start route',
      (providerId) => {
        const { client } = world.tab();
        const url = new URL(client.oauthStartUrl(providerId));
        expect(url.origin).toBe(PAGE_ORIGIN);
        expect(url.pathname).toBe(`/api/auth/oauth/${encodeURIComponent(providerId)}/start`);
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
      },
    );

    it('asks for a link URL with the bearer token and a JSON body, returnTo included when given', async () => {
      const { client } = await loggedInTab();

      expect(await client.linkProvider('corp', '/account')).toEqual({ url: world.server.linkUrl });
      expect(await client.linkProvider('github')).toEqual({ url: world.server.linkUrl });

      const calls = world.server.requests.filter((call) => call.path.endsWith('/link'));
      expect(
        calls.map(({ method, path, authorization, contentType, body, credentials }) => ({
          method,
          path,
          authorization,
          contentType,
          body,
          credentials,
        })),
      ).toEqual([
        {
          method: 'POST',
          path: '/api/auth/oauth/corp/link',
          authorization: `Bearer ${world.server.latestToken}`,
          contentType: 'application/json',
          body: JSON.stringify({ returnTo: '/account' }),
          // The answer sets the transaction cookie the provider's redirect back needs.
          credentials: 'include',
        },
        {
          method: 'POST',
          path: '/api/auth/oauth/github/link',
          authorization: `Bearer ${world.server.latestToken}`,
          contentType: 'application/json',
          body: '{}',
          credentials: 'include',
        },
      ]);
    });

    it.each(['javascript:alert(1)', 'data:text/html,hi', 'not a url'])(
      'refuses a link URL %j that a page could not safely navigate to',
      async (url) => {
        const { client } = await loggedInTab();
        world.server.linkUrl = url;
        await expect(client.linkProvider('corp')).rejects.toThrow(TypeError);
      },
    );

    it('lists and unlinks identities with the bearer token; the last way to sign in is a 409 ApiError', async () => {
      const { client } = await loggedInTab();

      expect(await client.identities()).toEqual([IDENTITY]);
      await client.unlinkIdentity(IDENTITY.id);
      const refused = client.unlinkIdentity(world.server.lastWayToSignIn);
      await expect(refused).rejects.toBeInstanceOf(ApiError);
      await expect(refused).rejects.toMatchObject({ status: 409 });

      const bearer = `Bearer ${world.server.latestToken}`;
      expect(world.server.requestsTo('GET /api/auth/identities')[0].authorization).toBe(bearer);
      expect(world.server.requestsTo(`DELETE /api/auth/identities/${IDENTITY.id}`)).toEqual([
        expect.objectContaining({ authorization: bearer, body: null }),
      ]);
      // Unlinking is not logging out.
      expect(client.isLoggedIn).toBe(true);
    });

    it('sends an identity id as one path segment', async () => {
      const { client } = await loggedInTab();
      await client.unlinkIdentity('../sessions/x');
      expect(world.server.requests.at(-1)?.url).toBe(`${PAGE_ORIGIN}/api/auth/identities/..%2Fsessions%2Fx`);
    });
  });

  describe('passkeys', () => {
    const NOT_ALLOWED = new DOMException(
      'The operation either timed out or was not allowed.',
      'NotAllowedError',
    );
    let webAuthn: FakeWebAuthn;
    beforeEach(() => {
      webAuthn = new FakeWebAuthn();
    });
    const withWebAuthn = (): GatehouseClientOptions => ({
      credentials: webAuthn.credentials,
      publicKeyCredential: webAuthn.publicKeyCredential,
    });

    it('asks for the sign-in options without a token, a session or a refresh', async () => {
      const { client } = world.tab();

      expect(await client.passkeyLoginOptions()).toEqual(REQUEST_OPTIONS);

      expect(world.server.requests).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: '/api/auth/passkeys/login/options',
          authorization: null,
          credentials: 'include',
          body: null,
        }),
      ]);
    });

    it('signs in with an assertion exactly as a login does, in every tab, under the lock', async () => {
      const first = world.tab();
      const second = world.tab();
      const grantsBefore = world.locks.grants;

      expect(await first.client.loginWithPasskey(ASSERTION)).toEqual(USER);
      await settle();

      const [call] = world.server.requestsTo('POST /api/auth/passkeys/login');
      expect(call).toMatchObject({
        authorization: null,
        credentials: 'include',
        contentType: 'application/json',
      });
      expect(JSON.parse(call.body!)).toEqual({ credential: ASSERTION });
      expect(world.locks.grants).toBe(grantsBefore + 1);
      expect(first.client.isLoggedIn).toBe(true);
      expect(first.client.state.expiresAt).toBe(world.clock.now + LIFETIME_SECONDS * 1000);
      expect(first.events).toEqual([
        expect.objectContaining({ type: 'login', user: USER, source: 'this-tab' }),
      ]);
      expect(second.client.isLoggedIn).toBe(true);
      expect(second.events).toEqual([
        expect.objectContaining({ type: 'login', user: USER, source: 'other-tab' }),
      ]);

      await first.client.me();
      expect(world.server.requestsTo('GET /api/users/me')[0].authorization).toBe(
        `Bearer ${world.server.latestToken}`,
      );
    });

    it('reports a refused assertion as an ApiError 401, still signed out, with no refresh tried', async () => {
      const { client, events } = world.tab();

      const refused = client.loginWithPasskey({ ...ASSERTION, id: 'dW5rbm93bg' });
      await expect(refused).rejects.toBeInstanceOf(ApiError);
      await expect(refused).rejects.toMatchObject({ status: 401, needsSecondFactor: false });

      expect(client.isLoggedIn).toBe(false);
      expect(events).toEqual([]);
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);
    });

    it('registers, lists, renames and deletes passkeys with the bearer token; the last way in is a 409', async () => {
      const { client } = await loggedInTab();
      const bearer = `Bearer ${world.server.latestToken}`;

      expect(await client.passkeyRegistrationOptions()).toEqual(CREATION_OPTIONS);
      expect(await client.registerPasskey(ATTESTATION, 'Work laptop')).toEqual(PASSKEY);
      expect(await client.registerPasskey(ATTESTATION)).toEqual({ ...PASSKEY, name: 'Passkey' });
      expect(await client.passkeys()).toEqual([PASSKEY]);
      expect(await client.renamePasskey(PASSKEY.id, 'Phone')).toEqual({ ...PASSKEY, name: 'Phone' });
      await client.deletePasskey(PASSKEY.id);
      const refused = client.deletePasskey(world.server.lastPasskey);
      await expect(refused).rejects.toBeInstanceOf(ApiError);
      await expect(refused).rejects.toMatchObject({ status: 409 });

      const [options] = world.server.requestsTo('POST /api/auth/passkeys/register/options');
      expect(options).toMatchObject({ authorization: bearer, body: null });
      const registrations = world.server.requestsTo('POST /api/auth/passkeys/register');
      expect(registrations.map((call) => JSON.parse(call.body!))).toEqual([
        { credential: ATTESTATION, name: 'Work laptop' },
        { credential: ATTESTATION },
      ]);
      expect(registrations[0]).toMatchObject({ authorization: bearer, contentType: 'application/json' });
      expect(world.server.requestsTo('GET /api/auth/passkeys')[0].authorization).toBe(bearer);
      const [rename] = world.server.requestsTo(`PATCH /api/auth/passkeys/${PASSKEY.id}`);
      expect(rename.authorization).toBe(bearer);
      expect(JSON.parse(rename.body!)).toEqual({ name: 'Phone' });
      expect(world.server.requestsTo(`DELETE /api/auth/passkeys/${PASSKEY.id}`)).toEqual([
        expect.objectContaining({ authorization: bearer, body: null }),
      ]);
      expect(client.isLoggedIn).toBe(true);
    });

    it('sends a passkey id as one path segment', async () => {
      const { client } = await loggedInTab();
      await client.deletePasskey('../sessions/x');
      expect(world.server.requests.at(-1)?.url).toBe(`${PAGE_ORIGIN}/api/auth/passkeys/..%2Fsessions%2Fx`);
      await expect(client.renamePasskey('..', 'x')).rejects.toThrow(TypeError);
    });

    it('answers a 401 that wants a second factor at once, as an ApiError saying so: no refresh, no retry', async () => {
      const { client } = await loggedInTab();
      world.server.secondFactorOwed = true;

      const refused = client.passkeyRegistrationOptions();
      await expect(refused).rejects.toBeInstanceOf(ApiError);
      await expect(refused).rejects.toMatchObject({
        status: 401,
        bearerError: 'insufficient_user_authentication',
        needsSecondFactor: true,
      });

      expect(world.server.count('POST /api/auth/passkeys/register/options')).toBe(1);
      expect(world.server.count('POST /api/auth/refresh')).toBe(0);
      // The session is fine: only this route wants more of it.
      expect(client.isLoggedIn).toBe(true);
    });

    it('makes a passkey: the server’s options through the JSON parser to the browser, its toJSON() back', async () => {
      const { client } = await loggedInTab(withWebAuthn());

      expect(await client.createPasskey('Work laptop')).toEqual(PASSKEY);

      expect(webAuthn.calls).toEqual([
        { method: 'create', publicKey: { parsed: 'creation', options: CREATION_OPTIONS } },
      ]);
      const [registration] = world.server.requestsTo('POST /api/auth/passkeys/register');
      expect(JSON.parse(registration.body!)).toEqual({ credential: ATTESTATION, name: 'Work laptop' });
    });

    it('signs in with a passkey the browser offers, no email asked: signed in as after a login', async () => {
      const { client, events } = world.tab(withWebAuthn());

      expect(await client.signInWithPasskey()).toEqual(USER);

      expect(webAuthn.calls).toEqual([
        { method: 'get', publicKey: { parsed: 'request', options: REQUEST_OPTIONS } },
      ]);
      expect(world.server.requests.map((call) => `${call.method} ${call.path}`)).toEqual([
        'POST /api/auth/passkeys/login/options',
        'POST /api/auth/passkeys/login',
      ]);
      expect(JSON.parse(world.server.requestsTo('POST /api/auth/passkeys/login')[0].body!)).toEqual({
        credential: ASSERTION,
      });
      expect(client.isLoggedIn).toBe(true);
      expect(events).toEqual([expect.objectContaining({ type: 'login', source: 'this-tab' })]);
    });

    it('passes the browser’s refusal on as it is (NotAllowedError), sending nothing after it', async () => {
      const { client } = await loggedInTab(withWebAuthn());
      const signedOut = world.tab(withWebAuthn());
      webAuthn.refuse = NOT_ALLOWED;

      await expect(client.createPasskey()).rejects.toBe(NOT_ALLOWED);
      await expect(signedOut.client.signInWithPasskey()).rejects.toMatchObject({ name: 'NotAllowedError' });

      expect(world.server.count('POST /api/auth/passkeys/register')).toBe(0);
      expect(world.server.count('POST /api/auth/passkeys/login')).toBe(0);
      expect(signedOut.client.isLoggedIn).toBe(false);
    });

    it('reports the server refusing what the browser signed as an ApiError 401', async () => {
      const { client } = world.tab(withWebAuthn());
      webAuthn.assertion = { ...ASSERTION, id: 'dW5rbm93bg' };

      await expect(client.signInWithPasskey()).rejects.toMatchObject({ status: 401 });
      expect(client.isLoggedIn).toBe(false);
    });

    it('without WebAuthn (or its JSON parsers) says so, and asks the server for nothing', async () => {
      const globals = globalThis as Record<string, unknown>;
      const navigatorBefore = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
      Object.defineProperty(globalThis, 'navigator', {
        value: { credentials: webAuthn.credentials },
        configurable: true,
      });
      try {
        // An older browser: WebAuthn, but no parseCreationOptionsFromJSON.
        globals.PublicKeyCredential = {};
        const old = world.tab().client;
        expect(old.passkeysSupported).toBe(false);
        await expect(old.signInWithPasskey()).rejects.toThrow(TypeError);
        await expect(old.createPasskey()).rejects.toThrow(TypeError);
        expect(world.server.requests).toEqual([]);

        globals.PublicKeyCredential = webAuthn.publicKeyCredential;
        const current = world.tab().client;
        expect(current.passkeysSupported).toBe(true);
        await current.signInWithPasskey();
        expect(current.isLoggedIn).toBe(true);

        expect(world.tab({ credentials: null }).client.passkeysSupported).toBe(false);
      } finally {
        delete globals.PublicKeyCredential;
        if (navigatorBefore) Object.defineProperty(globalThis, 'navigator', navigatorBefore);
        else delete globals.navigator;
      }
    });

    it('refuses what is no credential (a browser that answered null) with a TypeError, sending nothing', async () => {
      const { client } = await loggedInTab({
        credentials: { create: () => Promise.resolve(null), get: () => Promise.resolve({}) },
        publicKeyCredential: webAuthn.publicKeyCredential,
      });
      await expect(client.createPasskey()).rejects.toThrow(TypeError);
      expect(world.server.count('POST /api/auth/passkeys/register')).toBe(0);
    });
  });

  describe('the access token stays in memory', () => {
    const storageWrites: string[] = [];
    const recordingStorage = () => ({
      setItem: (key: string, value: string) => storageWrites.push(`${key}=${value}`),
      getItem: () => null,
      removeItem: () => undefined,
      clear: () => undefined,
      key: () => null,
      length: 0,
    });
    const cookieWrites: string[] = [];
    const globals = globalThis as Record<string, unknown>;

    beforeEach(() => {
      storageWrites.length = 0;
      cookieWrites.length = 0;
      globals.localStorage = recordingStorage();
      globals.sessionStorage = recordingStorage();
      globals.document = {
        get cookie() {
          return '';
        },
        set cookie(value: string) {
          cookieWrites.push(value);
        },
      };
    });
    afterEach(() => {
      delete globals.localStorage;
      delete globals.sessionStorage;
      delete globals.document;
    });

    it('is written to no storage and no cookie, and is no readable property of the client', async () => {
      const { client } = await loggedInTab({ autoRefresh: true });
      world.clock.advance(LIFETIME_SECONDS * 1000);
      await settle();
      await client.apiFetch('/api/users/me');

      expect(world.server.count('POST /api/auth/refresh')).toBeGreaterThanOrEqual(1);
      expect(storageWrites).toEqual([]);
      expect(cookieWrites).toEqual([]);
      const visible = JSON.stringify({ ...client, state: client.state }) + Object.keys(client).join();
      expect(visible).not.toContain(world.server.latestToken);
      expect(visible).not.toContain(world.server.latestToken.split('.')[1]);
    });
  });

  describe('across tabs', () => {
    it('hands a login to the other tabs', async () => {
      const other = world.tab();
      await loggedInTab();
      await settle();
      expect(other.client.isLoggedIn).toBe(true);
      expect(other.client.state.user).toEqual(USER);
      expect(other.events.at(-1)).toMatchObject({ type: 'login', source: 'other-tab' });
    });

    it('two tabs whose tokens expire together make one refresh, and both use the new token', async () => {
      const first = await loggedInTab();
      // A second tab opens: it restores from the cookie, and hands its token to the first tab.
      const second = world.tab();
      await second.client.restore();
      await settle();
      expect(first.client.state.expiresAt).toBe(second.client.state.expiresAt);
      world.clock.advance((LIFETIME_SECONDS + 1) * 1000);
      const refreshesBefore = world.server.count('POST /api/auth/refresh');

      const [a, b] = await Promise.all([
        first.client.apiFetch('/api/users/me'),
        second.client.apiFetch('/api/users/me'),
      ]);

      expect([a.status, b.status]).toEqual([200, 200]);
      expect(world.server.count('POST /api/auth/refresh') - refreshesBefore).toBe(1);
      const fresh = `Bearer ${world.server.latestToken}`;
      expect(world.server.requestsTo('GET /api/users/me').map((call) => call.authorization)).toEqual([
        fresh,
        fresh,
      ]);
      const sources = [first.events.at(-1), second.events.at(-1)].map((event) =>
        event?.type === 'refresh' ? event.source : event?.type,
      );
      expect(sources.sort()).toEqual(['other-tab', 'this-tab']);
    });

    it('without Web Locks, still makes one refresh per tab', async () => {
      const { client } = await loggedInTab({ locks: null });
      world.clock.advance((LIFETIME_SECONDS + 1) * 1000);
      await Promise.all([client.apiFetch('/api/users/me'), client.apiFetch('/api/users/me')]);
      expect(world.server.count('POST /api/auth/refresh')).toBe(1);
    });

    it('logs the other tabs out on logout', async () => {
      const first = await loggedInTab();
      const second = world.tab();
      await second.client.restore();
      expect(second.client.isLoggedIn).toBe(true);

      await first.client.logout();
      await settle();

      expect(second.client.isLoggedIn).toBe(false);
      expect(second.events.at(-1)).toEqual({ type: 'logout', reason: 'logout', source: 'other-tab' });
    });

    it('ignores channel messages that are not a client’s', async () => {
      const { client } = await loggedInTab();
      const stranger = world.hub.channel();
      stranger.postMessage({ kind: 'logout' });
      stranger.postMessage({ v: 1, kind: 'logout' });
      stranger.postMessage({ v: 1, kind: 'refresh', accessToken: 42, expiresAt: 'never' });
      stranger.postMessage('logout');
      await settle();
      expect(client.isLoggedIn).toBe(true);
      expect(client.state.user).toEqual(USER);
    });
  });
});
