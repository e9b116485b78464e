import type { AuthenticationCredentialDto, PasskeyRequestOptionsDto, UserDto } from './api-types';
import {
  ApiError,
  ChannelLike,
  ClientEvent,
  GatehouseClient,
  GatehouseClientOptions,
  ReauthenticationRequest,
  ReauthProof,
} from './client';
import { bearerChallengeOf } from './errors';

const PAGE_ORIGIN = 'https://app.example';
const PASSWORD = 'a long enough passphrase';
const MAX_AGE = 300;
const USER: UserDto = {
  id: '8a4f1b8e-4c56-4bd0-9a57-6f9f5b1c2d3e',
  email: 'ada@example.com',
  emailVerified: true,
  displayName: 'Ada',
  roles: ['user'],
  createdAt: '2026-01-01T00:00:00.000Z',
};
const REQUEST_OPTIONS: PasskeyRequestOptionsDto = {
  challenge: 'cmVhdXRoLWNoYWxsZW5nZQ',
  rpId: 'app.example',
  timeout: 300_000,
  userVerification: 'required',
  allowCredentials: [{ id: 'Y3JlZGVudGlhbC0x', type: 'public-key' }],
};
const ASSERTION: AuthenticationCredentialDto = {
  id: 'Y3JlZGVudGlhbC0x',
  rawId: 'Y3JlZGVudGlhbC0x',
  type: 'public-key',
  response: { clientDataJSON: 'Y2xpZW50', authenticatorData: 'YXV0aA', signature: 'c2ln', userHandle: 'aA' },
  clientExtensionResults: {},
};
const RECENT_ROUTE = 'POST /api/auth/mfa/totp/setup';
const SETUP = {
  secret: 'JBSWY3DPEHPK3PXP',
  otpauthUrl: 'otpauth://totp/Gatehouse:ada?secret=JBSWY3DPEHPK3PXP',
};

/**
 * A server with one route that wants a recent sign-in (TOTP setup): a token is recent only when
 * `POST /api/auth/reauthenticate` issued it. Logins and refreshes issue tokens that are already too old for it.
 */
class StepUpServer {
  readonly requests: { route: string; authorization: string | null; body: string | null }[] = [];
  readonly valid = new Set<string>();
  readonly recent = new Set<string>();
  /** The recent route refuses even recent tokens (a server that keeps saying no). */
  alwaysInsufficient = false;
  /** What reauthenticate answers to a right proof: 200, or the throttle. */
  reauthAnswer: 200 | 429 = 200;
  private issued = 0;

  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const path = new URL(url, PAGE_ORIGIN).pathname;
    const route = `${init.method ?? 'GET'} ${path}`;
    const authorization = new Headers(init.headers).get('Authorization');
    const body = typeof init.body === 'string' ? init.body : null;
    this.requests.push({ route, authorization, body });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (route === 'POST /api/auth/login' || route === 'POST /api/auth/refresh') return this.tokens(false);
    const token = authorization?.replace(/^Bearer /, '') ?? '';
    if (!this.valid.has(token))
      return this.json(401, { statusCode: 401, message: 'Unauthorized', error: 'x' });
    if (route === 'POST /api/auth/reauthenticate') {
      const proof = JSON.parse(body ?? '{}') as Record<string, unknown>;
      const right =
        proof.password === PASSWORD || (proof.credential as { id?: string } | undefined)?.id === ASSERTION.id;
      if (!right) return this.json(401, { statusCode: 401, message: 'wrong proof', error: 'Unauthorized' });
      if (this.reauthAnswer === 429)
        return this.json(429, { statusCode: 429, message: 'slow down', error: 'x' });
      return this.tokens(true);
    }
    if (route === 'POST /api/auth/reauthenticate/passkey-options') return this.json(200, REQUEST_OPTIONS);
    if (route === RECENT_ROUTE) {
      if (this.alwaysInsufficient || !this.recent.has(token)) {
        return this.json(
          401,
          { statusCode: 401, message: 'a recent sign-in is required', error: 'Unauthorized' },
          {
            'WWW-Authenticate': `Bearer error="insufficient_user_authentication", error_description="sign in again, within ${MAX_AGE} s", max_age=${MAX_AGE}`,
          },
        );
      }
      return this.json(200, SETUP);
    }
    return this.json(200, USER);
  };

  count(route: string): number {
    return this.requests.filter((request) => request.route === route).length;
  }

  sent(route: string) {
    return this.requests.filter((request) => request.route === route);
  }

  get latestToken(): string {
    return `token-${this.issued}`;
  }

  private tokens(recent: boolean): Response {
    this.issued += 1;
    this.valid.add(this.latestToken);
    if (recent) this.recent.add(this.latestToken);
    return this.json(200, { accessToken: this.latestToken, tokenType: 'Bearer', expiresIn: 60, user: USER });
  }

  private json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  }
}

/** Two tabs' channels: what one posts, the other hears (on the next macrotask). */
function channelPair(): [ChannelLike, ChannelLike] {
  const listeners: ((event: { data: unknown }) => void)[][] = [[], []];
  const end = (self: number): ChannelLike => ({
    postMessage: (message) => {
      const copy = structuredClone(message);
      setTimeout(() => listeners[1 - self].forEach((listener) => listener({ data: copy })), 0);
    },
    addEventListener: (_type, listener) => listeners[self].push(listener),
    close: () => undefined,
  });
  return [end(0), end(1)];
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('GatehouseClient: a route that wants a recent sign-in (step-up, RFC 9470)', () => {
  const page = globalThis as { location?: { origin: string } };
  let server: StepUpServer;
  let asked: ReauthenticationRequest[];
  let clients: GatehouseClient[];

  beforeAll(() => {
    page.location = { origin: PAGE_ORIGIN };
  });
  afterAll(() => {
    delete page.location;
  });
  beforeEach(() => {
    server = new StepUpServer();
    asked = [];
    clients = [];
  });
  afterEach(() => clients.forEach((client) => client.close()));

  /** A logged-in client whose `onReauthenticationRequired` answers the given proofs in turn. */
  async function loggedIn(proofs: (ReauthProof | null)[] | null, options: GatehouseClientOptions = {}) {
    const answers = [...(proofs ?? [])];
    const events: ClientEvent[] = [];
    const client = new GatehouseClient({
      fetch: server.fetch,
      locks: null,
      channel: null,
      ...(proofs === null
        ? {}
        : {
            onReauthenticationRequired: (request: ReauthenticationRequest) => {
              asked.push(request);
              return Promise.resolve(answers.shift() ?? null);
            },
          }),
      ...options,
    });
    clients.push(client);
    await client.login(USER.email, PASSWORD);
    client.subscribe((event) => events.push(event));
    return { client, events };
  }

  it('asks for a proof, sends it to reauthenticate, and retries the request once: no refresh, no logout', async () => {
    const { client, events } = await loggedIn([{ password: PASSWORD }]);
    const before = server.latestToken;

    expect(await client.setupTotp()).toEqual(SETUP);

    expect(asked).toEqual([
      { reason: `sign in again, within ${MAX_AGE} s`, maxAge: MAX_AGE, secondFactor: false, attempt: 1 },
    ]);
    const [reauth] = server.sent('POST /api/auth/reauthenticate');
    expect(reauth.authorization).toBe(`Bearer ${before}`);
    expect(JSON.parse(reauth.body!)).toEqual({ password: PASSWORD });
    expect(server.sent(RECENT_ROUTE).map((call) => call.authorization)).toEqual([
      `Bearer ${before}`,
      `Bearer ${server.latestToken}`,
    ]);
    expect(server.count('POST /api/auth/refresh')).toBe(0);
    expect(client.isLoggedIn).toBe(true);
    expect(events).toEqual([
      {
        type: 'refresh',
        user: USER,
        expiresAt: expect.any(Number),
        reason: 'reauthenticated',
        source: 'this-tab',
      },
    ]);
  });

  it('gives the 401 back as an ApiError that says so when the callback answers null', async () => {
    const { client } = await loggedIn([null]);

    const refused = client.setupTotp();

    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({
      status: 401,
      bearerError: 'insufficient_user_authentication',
      maxAge: MAX_AGE,
      needsReauthentication: true,
      needsSecondFactor: false,
    });
    expect(asked).toHaveLength(1);
    expect(server.count('POST /api/auth/reauthenticate')).toBe(0);
    expect(server.count(RECENT_ROUTE)).toBe(1);
    expect(server.count('POST /api/auth/refresh')).toBe(0);
    expect(client.isLoggedIn).toBe(true);
  });

  it('without onReauthenticationRequired, gives the 401 back at once', async () => {
    const { client } = await loggedIn(null);
    await expect(client.setupTotp()).rejects.toMatchObject({ status: 401, needsReauthentication: true });
    expect(server.count(RECENT_ROUTE)).toBe(1);
    expect(server.count('POST /api/auth/reauthenticate')).toBe(0);
    expect(server.count('POST /api/auth/refresh')).toBe(0);
  });

  it('retries once only: a retry refused again comes back as it is, without a second ask', async () => {
    const { client } = await loggedIn([{ password: PASSWORD }, { password: PASSWORD }]);
    server.alwaysInsufficient = true;

    const response = await client.apiFetch('/api/auth/mfa/totp/setup', { method: 'POST' });

    expect(response.status).toBe(401);
    expect(bearerChallengeOf(response)).toMatchObject({ error: 'insufficient_user_authentication' });
    expect(asked).toHaveLength(1);
    expect(server.count('POST /api/auth/reauthenticate')).toBe(1);
    expect(server.count(RECENT_ROUTE)).toBe(2);
    expect(server.count('POST /api/auth/refresh')).toBe(0);
    await expect(client.setupTotp()).rejects.toMatchObject({ needsReauthentication: true });
  });

  it('asks again after a wrong proof, telling why, and goes on with the right one', async () => {
    const { client } = await loggedIn([{ password: 'not it' }, { password: PASSWORD }]);

    expect(await client.setupTotp()).toEqual(SETUP);

    expect(asked.map((request) => request.attempt)).toEqual([1, 2]);
    expect(asked[1].previousError).toBeInstanceOf(ApiError);
    expect(asked[1].previousError).toMatchObject({ status: 401 });
    expect(server.count('POST /api/auth/reauthenticate')).toBe(2);
    expect(server.count(RECENT_ROUTE)).toBe(2);
  });

  it('stops at three wrong proofs, and at a throttled one, giving the route’s 401 back', async () => {
    const wrong = { password: 'not it' };
    const { client } = await loggedIn([wrong, wrong, wrong, wrong]);
    await expect(client.setupTotp()).rejects.toMatchObject({ status: 401, needsReauthentication: true });
    expect(server.count('POST /api/auth/reauthenticate')).toBe(3);

    server.reauthAnswer = 429;
    asked = [];
    const other = await loggedIn([{ password: PASSWORD }, { password: PASSWORD }]);
    await expect(other.client.setupTotp()).rejects.toMatchObject({
      status: 401,
      needsReauthentication: true,
    });
    expect(asked).toHaveLength(1);
    expect(other.client.isLoggedIn).toBe(true);
  });

  it('asks once for requests refused together, and retries each of them', async () => {
    const { client } = await loggedIn([{ password: PASSWORD }, { password: PASSWORD }]);

    const answers = await Promise.all([client.setupTotp(), client.setupTotp(), client.setupTotp()]);

    expect(answers).toEqual([SETUP, SETUP, SETUP]);
    expect(asked).toHaveLength(1);
    expect(server.count('POST /api/auth/reauthenticate')).toBe(1);
    expect(server.count(RECENT_ROUTE)).toBe(6);
  });

  it('still refreshes a plain 401, and asks nothing', async () => {
    const { client } = await loggedIn([{ password: PASSWORD }]);
    const revoked = server.latestToken;
    server.valid.delete(revoked);

    expect((await client.apiFetch('/api/users/me')).status).toBe(200);

    expect(server.count('POST /api/auth/refresh')).toBe(1);
    expect(server.sent('GET /api/users/me').map((call) => call.authorization)).toEqual([
      `Bearer ${revoked}`,
      `Bearer ${server.latestToken}`,
    ]);
    expect(asked).toEqual([]);
  });

  it('sends the one field of the proof chosen, and hands the new token to the other tabs', async () => {
    const [mine, theirs] = channelPair();
    const { client } = await loggedIn(null, { channel: mine });
    const other = new GatehouseClient({ fetch: server.fetch, locks: null, channel: theirs });
    clients.push(other);
    const seen: ClientEvent[] = [];
    other.subscribe((event) => seen.push(event));
    await settle();

    await client.reauthenticate({ password: PASSWORD, code: '123456' });

    expect(JSON.parse(server.sent('POST /api/auth/reauthenticate')[0].body!)).toEqual({ password: PASSWORD });
    await settle();
    expect(seen.at(-1)).toMatchObject({ type: 'refresh', reason: 'reauthenticated', source: 'other-tab' });
    // The other tab uses the recent token at once: no ask, no refresh.
    expect(await other.setupTotp()).toEqual(SETUP);
    expect(server.sent(RECENT_ROUTE).at(-1)?.authorization).toBe(`Bearer ${server.latestToken}`);
    expect(server.count('POST /api/auth/refresh')).toBe(0);
  });

  it('reports a wrong proof given directly as an ApiError 401, sending it once, session kept', async () => {
    const { client } = await loggedIn(null);
    await expect(client.reauthenticate({ password: 'not it' })).rejects.toMatchObject({ status: 401 });
    expect(server.count('POST /api/auth/reauthenticate')).toBe(1);
    expect(server.count('POST /api/auth/refresh')).toBe(0);
    expect(client.isLoggedIn).toBe(true);
  });

  it('proves it with a passkey: the user’s options through the browser, the assertion to reauthenticate', async () => {
    const gets: unknown[] = [];
    const { client } = await loggedIn([{ passkey: true }], {
      publicKeyCredential: {
        parseCreationOptionsFromJSON: (options) => options,
        parseRequestOptionsFromJSON: (options) => ({ parsed: options }),
      },
      credentials: {
        create: () => Promise.reject(new Error('not used')),
        get: ({ publicKey }) => {
          gets.push(publicKey);
          return Promise.resolve({ toJSON: () => ASSERTION });
        },
      },
    });

    expect(await client.setupTotp()).toEqual(SETUP);

    expect(gets).toEqual([{ parsed: REQUEST_OPTIONS }]);
    const [reauth] = server.sent('POST /api/auth/reauthenticate');
    expect(JSON.parse(reauth.body!)).toEqual({ credential: ASSERTION });
    expect(server.count('POST /api/auth/reauthenticate/passkey-options')).toBe(1);
  });
});

describe('bearerChallengeOf', () => {
  const challenge = (header: string) =>
    bearerChallengeOf(new Response(null, { status: 401, headers: { 'WWW-Authenticate': header } }));

  it('reads error, error_description (commas and escapes inside) and max_age', () => {
    expect(
      challenge(
        'Bearer error="insufficient_user_authentication", error_description="too old, \\"sign in\\"", max_age=300',
      ),
    ).toEqual({
      error: 'insufficient_user_authentication',
      errorDescription: 'too old, "sign in"',
      maxAge: 300,
    });
    expect(challenge('Bearer max_age="60",error=insufficient_user_authentication')).toEqual({
      error: 'insufficient_user_authentication',
      errorDescription: undefined,
      maxAge: 60,
    });
  });

  it('ignores a max_age that is no number of seconds, and a challenge that is not Bearer', () => {
    expect(challenge('Bearer error="x", max_age=soon')?.maxAge).toBeUndefined();
    expect(challenge('Bearer error="x", max_age=-5')?.maxAge).toBeUndefined();
    expect(challenge('DPoP error="invalid_token"')).toBeUndefined();
  });
});
