import { createHash, createPublicKey, type JsonWebKey, verify, webcrypto } from 'node:crypto';
import type { UserDto } from './api-types';
import { GatehouseClient, GatehouseClientOptions } from './client';
import type { DpopKeyPair, DpopKeyStore, WebCryptoLike } from './dpop';
import { IndexedDbKeyStore, type IdbFactoryLike } from './dpop-key-store';

const API = 'https://api.example';
const PASSWORD = 'a long enough passphrase';
const EMAIL_CODE = '01234567';
const USER: UserDto = {
  id: '8a4f1b8e-4c56-4bd0-9a57-6f9f5b1c2d3e',
  email: 'ada@example.com',
  emailVerified: true,
  displayName: 'Ada',
  roles: ['user'],
  createdAt: '2026-01-01T00:00:00.000Z',
};
const NOW = Date.UTC(2026, 0, 1);

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

/** An access token as the server writes it, `cnf.jkt` when it is bound; only the client reads it here. */
function accessToken(n: number, jkt?: string): string {
  const claims = jkt ? { sid: 'session-1', n, cnf: { jkt } } : { sid: 'session-1', n };
  return `${b64url({ alg: 'ES256', typ: 'at+jwt' })}.${b64url(claims)}.signature`;
}

/** RFC 7638, computed here independently of the client. */
function thumbprintOf(jwk: Record<string, unknown>): string {
  const { crv, kty, x, y } = jwk;
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

interface CheckedProof {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  jkt: string;
}

/** Checks a proof as a server would, with node's crypto: its shape, then its signature by the key in its header. */
function checkProof(proof: string): CheckedProof {
  const [header64, claims64, signature64] = proof.split('.');
  const header = decodePart(header64) as Record<string, unknown>;
  const jwk = header.jwk as Record<string, unknown>;
  expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
  expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
  const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const signed = verify(
    'sha256',
    Buffer.from(`${header64}.${claims64}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature64, 'base64url'),
  );
  expect(signed).toBe(true);
  return { header, claims: decodePart(claims64) as Record<string, unknown>, jkt: thumbprintOf(jwk) };
}

interface Seen {
  route: string;
  url: string;
  authorization: string | null;
  proof: CheckedProof | null;
  body: string | null;
}

/**
 * Gatehouse as far as DPoP goes: sign-ins bind to the proof's key, bound tokens go only as `DPoP` with a proof
 * by that key naming them, and optionally a nonce demanded in every proof, or every proof refused (a server
 * whose PUBLIC_URL is not where the page reaches it).
 */
class DpopServer {
  readonly seen: Seen[] = [];
  /** Proofs must carry this nonce (DPOP_NONCES=true); null: none wanted. */
  nonce: string | null = null;
  /** Refuses every proof as invalid, as a server with another PUBLIC_URL does. */
  refuseAllProofs = false;
  private boundTo: string | null = null;
  private issued = 0;
  private live = new Set<string>();

  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const target = new URL(url);
    const method = init.method ?? 'GET';
    const route = `${method} ${target.pathname}`;
    const headers = new Headers(init.headers);
    const header = headers.get('DPoP');
    const proof = header === null ? null : checkProof(header);
    const body = typeof init.body === 'string' ? init.body : null;
    this.seen.push({ route, url, authorization: headers.get('Authorization'), proof, body });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (route === 'POST /api/auth/email-code') return this.json(202, { status: 'accepted' });
    const starts = ['POST /api/auth/login', 'POST /api/auth/email-code/verify'].includes(route);
    if (proof !== null) {
      const refusal = this.refusalOf(proof, starts ? 400 : 401);
      if (refusal) return refusal;
    }
    if (starts) {
      const body = JSON.parse(init.body as string) as { password?: string; code?: string };
      if (body.password !== PASSWORD && body.code !== EMAIL_CODE) {
        return this.json(401, { statusCode: 401, message: 'no' });
      }
      this.boundTo = proof?.jkt ?? null;
      return this.tokens();
    }
    if (route === 'POST /api/auth/refresh' || route === 'POST /api/auth/logout') {
      if (this.boundTo !== null && proof?.jkt !== this.boundTo) {
        return this.dpopRefusal(401, 'invalid_dpop_proof');
      }
      if (route === 'POST /api/auth/logout') return new Response(null, { status: 204 });
      return this.tokens();
    }
    const [scheme, token] = (headers.get('Authorization') ?? ' ').split(' ');
    if (!this.live.has(token)) return this.json(401, { statusCode: 401, message: 'no' });
    if (this.boundTo !== null) {
      if (scheme !== 'DPoP' || proof?.jkt !== this.boundTo) return this.dpopRefusal(401, 'invalid_token');
      const ath = createHash('sha256').update(token).digest('base64url');
      if (proof.claims.ath !== ath) return this.dpopRefusal(401, 'invalid_dpop_proof');
    } else if (scheme !== 'Bearer') {
      return this.dpopRefusal(401, 'invalid_token');
    }
    return this.json(200, USER);
  };

  proofsTo(route: string): (CheckedProof | null)[] {
    return this.seen.filter((seen) => seen.route === route).map((seen) => seen.proof);
  }

  private refusalOf(proof: CheckedProof, status: 400 | 401): Response | undefined {
    if (this.refuseAllProofs) return this.dpopRefusal(status, 'invalid_dpop_proof');
    if (this.nonce !== null && proof.claims.nonce !== this.nonce) {
      return this.dpopRefusal(status, 'use_dpop_nonce', { 'DPoP-Nonce': this.nonce });
    }
    return undefined;
  }

  private tokens(): Response {
    this.issued += 1;
    const token = accessToken(this.issued, this.boundTo ?? undefined);
    this.live.add(token);
    const tokenType = this.boundTo ? 'DPoP' : 'Bearer';
    return this.json(200, { accessToken: token, tokenType, expiresIn: 60, user: USER });
  }

  private dpopRefusal(status: number, error: string, headers: Record<string, string> = {}): Response {
    return this.json(
      status,
      { statusCode: status, message: 'the DPoP proof is missing or invalid', error },
      { 'WWW-Authenticate': `DPoP error="${error}", algs="ES256"`, ...headers },
    );
  }

  private json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  }
}

/** The in-memory stand-in for IndexedDB: one per browser profile, shared by the clients (tabs) given it. */
class MemoryKeyStore implements DpopKeyStore {
  pair: DpopKeyPair | undefined;
  adds = 0;

  async get(): Promise<DpopKeyPair | undefined> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return this.pair;
  }

  async addIfAbsent(pair: DpopKeyPair): Promise<DpopKeyPair> {
    this.adds += 1;
    this.pair ??= pair;
    return Promise.resolve(this.pair);
  }
}

const nodeCrypto = globalThis.crypto as unknown as WebCryptoLike;

function makeClient(
  server: DpopServer,
  store: DpopKeyStore = new MemoryKeyStore(),
  options: GatehouseClientOptions = {},
): GatehouseClient {
  return new GatehouseClient({
    baseUrl: API,
    fetch: server.fetch,
    locks: null,
    channel: null,
    credentials: null,
    publicKeyCredential: null,
    now: () => NOW,
    dpop: { store, crypto: nodeCrypto },
    ...options,
  });
}

describe('DPoP proofs (RFC 9449)', () => {
  it('binds the login to a non-extractable key: a proof verifiable with the public key, naming the request', async () => {
    const server = new DpopServer();
    const store = new MemoryKeyStore();
    const client = makeClient(server, store);
    expect(client.dpopSupport).toBe('pending');

    await client.login(USER.email, PASSWORD);

    const [proof] = server.proofsTo('POST /api/auth/login');
    expect(proof?.claims).toEqual({
      htm: 'POST',
      htu: `${API}/api/auth/login`,
      iat: NOW / 1000,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    });
    expect(client.state.tokenType).toBe('DPoP');
    expect(client.dpopBound).toBe(true);
    expect(client.dpopSupport).toBe('ready');
    expect(await client.dpopThumbprint()).toBe(proof?.jkt);
    // The private half never leaves WebCrypto.
    expect(store.pair?.privateKey.extractable).toBe(false);
    await expect(
      globalThis.crypto.subtle.exportKey('jwk', store.pair!.privateKey as unknown as webcrypto.CryptoKey),
    ).rejects.toThrow();
  });

  it('sends a bound token as DPoP with a proof that names it (ath), its method and its URL without the query', async () => {
    const server = new DpopServer();
    const client = makeClient(server);
    await client.login(USER.email, PASSWORD);
    expect(server.seen).toHaveLength(1);

    await client.listNotes(5, 10);

    const call = server.seen[1];
    expect(call.url).toBe(`${API}/api/notes?limit=5&offset=10`);
    const bound = call.authorization!.replace(/^DPoP /, '');
    expect(call.authorization).toBe(`DPoP ${bound}`);
    expect(call.proof?.claims).toMatchObject({
      htm: 'GET',
      htu: `${API}/api/notes`,
      ath: createHash('sha256').update(bound).digest('base64url'),
    });
    expect(call.proof?.jkt).toBe(server.seen[0].proof?.jkt);
    const jtis = server.seen.map((seen) => seen.proof?.claims.jti);
    expect(new Set(jtis).size).toBe(jtis.length);
  });

  it('proves refresh and logout with the same key, without ath', async () => {
    const server = new DpopServer();
    const store = new MemoryKeyStore();
    const client = makeClient(server, store);
    await client.login(USER.email, PASSWORD);
    // Another tab of the same profile: it restores with the profile's key.
    const otherTab = makeClient(server, store);
    expect(await otherTab.restore()).toBe(true);
    expect(otherTab.dpopBound).toBe(true);
    await otherTab.logout();

    const [login] = server.proofsTo('POST /api/auth/login');
    for (const route of ['POST /api/auth/refresh', 'POST /api/auth/logout']) {
      const [proof] = server.proofsTo(route);
      expect(proof?.jkt).toBe(login?.jkt);
      expect(proof?.claims.ath).toBeUndefined();
      expect(proof?.claims).toMatchObject({ htm: 'POST', htu: `${API}${route.split(' ')[1]}` });
    }
  });

  it('proves a switch of organization as a refresh, its body sent again with the nonce asked for', async () => {
    const server = new DpopServer();
    const client = makeClient(server);
    await client.login(USER.email, PASSWORD);
    const before = server.seen.length;
    server.nonce = 'nonce-1';

    await client.switchOrganization('3f1c9a2b-7d4e-4f5a-8b6c-0d1e2f3a4b5c');

    const switches = server.seen.slice(before);
    const [login] = server.proofsTo('POST /api/auth/login');
    expect(switches.map((seen) => [seen.route, seen.authorization, seen.body])).toEqual(
      Array(2).fill([
        'POST /api/auth/refresh',
        null,
        JSON.stringify({ organizationId: '3f1c9a2b-7d4e-4f5a-8b6c-0d1e2f3a4b5c' }),
      ]),
    );
    expect(switches.map((seen) => seen.proof?.claims.nonce)).toEqual([undefined, 'nonce-1']);
    expect(switches.map((seen) => seen.proof?.jkt)).toEqual([login?.jkt, login?.jkt]);
    expect(switches[1].proof?.claims.ath).toBeUndefined();
    expect(client.dpopBound).toBe(true);
  });

  it('binds a sign-in with a mailed code as it binds a login; asking for the code needs no proof', async () => {
    const server = new DpopServer();
    server.nonce = 'nonce-1';
    const client = makeClient(server);

    await client.requestEmailCode(USER.email);
    expect(await client.verifyEmailCode(USER.email, EMAIL_CODE)).toEqual({ mfaRequired: false, user: USER });
    await client.me();

    expect(server.seen.map((seen) => [seen.route, seen.authorization?.split(' ')[0] ?? null])).toEqual([
      ['POST /api/auth/email-code', null],
      ['POST /api/auth/email-code/verify', null],
      ['POST /api/auth/email-code/verify', null],
      ['GET /api/users/me', 'DPoP'],
    ]);
    expect(server.proofsTo('POST /api/auth/email-code')).toEqual([null]);
    const proofs = server.proofsTo('POST /api/auth/email-code/verify');
    // The nonce the first proof lacked, asked for and sent again once, the body unchanged.
    expect(proofs.map((proof) => proof?.claims.nonce)).toEqual([undefined, 'nonce-1']);
    expect(proofs[1]?.claims).toMatchObject({ htm: 'POST', htu: `${API}/api/auth/email-code/verify` });
    expect(proofs[1]?.claims.ath).toBeUndefined();
    const bodies = server.seen.filter((seen) => seen.route === 'POST /api/auth/email-code/verify');
    expect(bodies.map((seen) => JSON.parse(seen.body!))).toEqual(
      Array(2).fill({ email: USER.email, code: EMAIL_CODE }),
    );
    expect(client.dpopBound).toBe(true);
    expect(server.proofsTo('GET /api/users/me')[0]?.jkt).toBe(proofs[1]?.jkt);
    expect(await client.dpopThumbprint()).toBe(proofs[1]?.jkt);
  });

  it('makes one key per profile, even when tabs race to make the first', async () => {
    const server = new DpopServer();
    const store = new MemoryKeyStore();
    const tabs = [makeClient(server, store), makeClient(server, store), makeClient(server, store)];
    const thumbprints = await Promise.all(tabs.map((tab) => tab.dpopThumbprint()));
    expect(new Set(thumbprints).size).toBe(1);
    expect(thumbprints[0]).toBe(
      thumbprintOf((await nodeCrypto.subtle.exportKey('jwk', store.pair!.publicKey)) as never),
    );
  });

  it('names the public origin in htu when told the server’s PUBLIC_URL', async () => {
    const server = new DpopServer();
    const client = makeClient(server, undefined, { publicUrl: 'https://auth.example.com/' });
    await client.login(USER.email, PASSWORD);
    expect(server.seen[0].url).toBe(`${API}/api/auth/login`);
    expect(server.proofsTo('POST /api/auth/login')[0]?.claims.htu).toBe(
      'https://auth.example.com/api/auth/login',
    );
  });

  it('puts the key’s thumbprint on the OAuth start link once the key is loaded', async () => {
    const client = makeClient(new DpopServer());
    expect(client.oauthStartUrl('corp', '/x')).toBe(`${API}/api/auth/oauth/corp/start?returnTo=%2Fx`);
    const jkt = await client.dpopThumbprint();
    expect(client.oauthStartUrl('corp')).toBe(`${API}/api/auth/oauth/corp/start?dpop_jkt=${jkt}`);
  });

  describe('server nonces', () => {
    it('sends the request again, once, with the nonce the refusal carried', async () => {
      const server = new DpopServer();
      server.nonce = 'nonce-1';
      const client = makeClient(server);
      await client.login(USER.email, PASSWORD);
      const proofs = server.proofsTo('POST /api/auth/login');
      expect(proofs.map((proof) => proof?.claims.nonce)).toEqual([undefined, 'nonce-1']);
      expect(client.dpopBound).toBe(true);

      // Remembered: the next proof carries it from the start.
      await client.me();
      expect(server.proofsTo('GET /api/users/me').map((proof) => proof?.claims.nonce)).toEqual(['nonce-1']);
    });

    it('retries only once, then gives the refusal back', async () => {
      const server = new DpopServer();
      server.nonce = 'nonce-1';
      const client = makeClient(server);
      await client.login(USER.email, PASSWORD);
      server.nonce = 'nonce-2';
      const response = await client.apiFetch('/api/users/me');
      expect(response.status).toBe(200);
      expect(server.proofsTo('GET /api/users/me').map((proof) => proof?.claims.nonce)).toEqual([
        'nonce-1',
        'nonce-2',
      ]);

      // A server that keeps asking for another nonce gets two tries of the request, no more.
      let asked = 0;
      const stubborn = new DpopServer();
      const original = stubborn.fetch;
      const client2 = makeClient(stubborn, undefined, {
        fetch: async (url, init) => {
          stubborn.nonce = `nonce-${(asked += 1)}`;
          return original(url, init);
        },
      });
      await expect(client2.login(USER.email, PASSWORD)).rejects.toMatchObject({ status: 400 });
      expect(stubborn.proofsTo('POST /api/auth/login')).toHaveLength(2);
    });
  });

  describe('bearer tokens where proofs cannot be made', () => {
    it('without WebCrypto (an insecure context has no crypto.subtle)', async () => {
      const server = new DpopServer();
      const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
      Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true });
      let client: GatehouseClient;
      try {
        client = makeClient(server, new MemoryKeyStore(), { dpop: { store: new MemoryKeyStore() } });
      } finally {
        Object.defineProperty(globalThis, 'crypto', saved);
      }
      expect(client.dpopSupport).toBe('unavailable');
      await client.login(USER.email, PASSWORD);
      await client.me();
      expect(client.state.tokenType).toBe('Bearer');
      expect(server.seen.map((seen) => [seen.route, seen.proof, seen.authorization?.split(' ')[0]])).toEqual([
        ['POST /api/auth/login', null, undefined],
        ['GET /api/users/me', null, 'Bearer'],
      ]);
    });

    it('without IndexedDB (Node has none, as Safari in Lockdown Mode)', async () => {
      const server = new DpopServer();
      const client = new GatehouseClient({ baseUrl: API, fetch: server.fetch, locks: null, channel: null });
      expect(client.dpopSupport).toBe('unavailable');
      await client.login(USER.email, PASSWORD);
      expect(await client.dpopThumbprint()).toBeNull();
      expect(client.oauthStartUrl('corp')).toBe(`${API}/api/auth/oauth/corp/start`);
      expect(server.seen[0].proof).toBeNull();
      expect(client.state.tokenType).toBe('Bearer');
    });

    it('when IndexedDB fails to open', async () => {
      const server = new DpopServer();
      const failing: IdbFactoryLike = {
        open: () => {
          const request = {
            result: undefined as never,
            error: new Error('the operation is insecure'),
            onsuccess: null,
            onerror: null as (() => void) | null,
            onupgradeneeded: null,
            onblocked: null,
          };
          setTimeout(() => request.onerror?.(), 1);
          return request;
        },
      };
      const client = makeClient(server, new IndexedDbKeyStore(failing, 'gatehouse'));
      await client.login(USER.email, PASSWORD);
      expect(client.dpopSupport).toBe('unavailable');
      expect(server.seen[0].proof).toBeNull();
      expect(client.dpopBound).toBe(false);
    });

    it('when `dpop: false`', async () => {
      const server = new DpopServer();
      const client = makeClient(server, undefined, { dpop: false });
      await client.login(USER.email, PASSWORD);
      expect(server.seen[0].proof).toBeNull();
      expect(client.dpopSupport).toBe('unavailable');
    });

    it('when the server refuses proofs it does not need: once, then no more proofs from this page', async () => {
      const server = new DpopServer();
      server.refuseAllProofs = true;
      const client = makeClient(server);
      await client.login(USER.email, PASSWORD);
      expect(server.seen.map((seen) => [seen.route, seen.proof === null])).toEqual([
        ['POST /api/auth/login', false],
        ['POST /api/auth/login', true],
      ]);
      expect(client.dpopSupport).toBe('refused');
      expect(client.dpopBound).toBe(false);
      await client.me();
      await client.logout();
      expect(
        server.seen.slice(2).map((seen) => [seen.route, seen.proof, seen.authorization?.split(' ')[0]]),
      ).toEqual([
        ['GET /api/users/me', null, 'Bearer'],
        ['POST /api/auth/logout', null, undefined],
      ]);
    });
  });
});
