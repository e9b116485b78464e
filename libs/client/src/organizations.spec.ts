import type { InvitationDto, OrgDto, ProjectDto, UserDto } from './api-types';
import {
  ActiveOrganization,
  ApiError,
  ChannelLike,
  ClientEvent,
  GatehouseClient,
  LockManagerLike,
} from './client';

const API = 'https://app.example';
const USER: UserDto = {
  id: '8a4f1b8e-4c56-4bd0-9a57-6f9f5b1c2d3e',
  email: 'ada@example.com',
  emailVerified: true,
  displayName: 'Ada',
  roles: ['user'],
  createdAt: '2026-01-01T00:00:00.000Z',
};
const ORG: OrgDto = {
  id: '3f1c9a2b-7d4e-4f5a-8b6c-0d1e2f3a4b5c',
  name: 'Acme',
  createdAt: '2026-01-02T00:00:00.000Z',
  role: 'owner',
};
const STRANGERS_ORG = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const OWNER_PERMISSIONS = ['members:invite', 'members:remove', 'members:update', 'projects:read'];
const PROJECT: ProjectDto = {
  id: '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d',
  name: 'Website relaunch',
  createdAt: '2026-01-03T00:00:00.000Z',
  updatedAt: '2026-01-03T00:00:00.000Z',
};
const INVITATION: InvitationDto = {
  id: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e',
  email: 'grace@example.com',
  role: 'member',
  createdAt: '2026-01-04T00:00:00.000Z',
  expiresAt: '2026-01-11T00:00:00.000Z',
  invitedBy: { id: USER.id, email: USER.email },
};

interface Seen {
  route: string;
  url: string;
  authorization: string | null;
  contentType: string | null;
  credentials: RequestInit['credentials'];
  body: string | null;
}

/**
 * Gatehouse as far as organizations go: one session (the cookie), whose active organization a refresh with
 * `{organizationId}` chooses and whose access tokens carry it as `org`; the organization routes answer canned
 * bodies to live tokens.
 */
class OrgServer {
  readonly seen: Seen[] = [];
  /** The organizations the user is a member of, by id, with the role there. */
  readonly memberships = new Map<string, string>([[ORG.id, 'owner']]);
  /** Refreshes answered but not finished: the client must never have two at once. */
  inFlight = 0;
  mostInFlight = 0;
  sessionOver = false;
  private active: string | null = null;
  private issued = 0;
  private readonly live = new Set<string>();

  readonly fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const target = new URL(url);
    const method = init.method ?? 'GET';
    const route = `${method} ${target.pathname}`;
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? init.body : null;
    this.seen.push({
      route,
      url,
      authorization: headers.get('Authorization'),
      contentType: headers.get('Content-Type'),
      credentials: init.credentials,
      body,
    });
    if (route === 'POST /api/auth/login') return this.tokens();
    if (route === 'POST /api/auth/refresh') return this.refresh(body);
    const token = headers.get('Authorization')?.replace(/^Bearer /, '');
    if (token === undefined || !this.live.has(token))
      return this.json(401, { statusCode: 401, message: 'no' });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (route === 'GET /api/orgs') return this.json(200, [ORG]);
    if (route === 'POST /api/orgs') return this.json(201, { ...ORG, name: JSON.parse(body!).name });
    if (route.endsWith('/projects')) return this.json(method === 'GET' ? 200 : 201, PROJECT);
    if (route.endsWith('/invitations')) return this.json(201, INVITATION);
    if (method === 'PATCH') return this.json(200, { userId: 'x', email: 'x', role: 'admin', joinedAt: 'x' });
    if (method === 'DELETE' || route === 'POST /api/invitations/decline') {
      return new Response(null, { status: 204 });
    }
    return this.json(200, ORG);
  };

  requestsTo(route: string): Seen[] {
    return this.seen.filter((seen) => seen.route === route);
  }

  /** The token the server issued last. */
  get latestToken(): string {
    return this.token(this.issued);
  }

  private async refresh(body: string | null): Promise<Response> {
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.sessionOver)
        return this.json(401, { statusCode: 401, message: 'refresh token is no longer valid' });
      const asked = body === null ? {} : (JSON.parse(body) as { organizationId?: string | null });
      if (asked.organizationId !== undefined) {
        if (asked.organizationId !== null && !this.memberships.has(asked.organizationId)) {
          return this.json(403, { statusCode: 403, message: 'you are not a member of that organization' });
        }
        this.active = asked.organizationId;
      }
      return this.tokens();
    } finally {
      this.inFlight -= 1;
    }
  }

  private token(n: number): string {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const role = this.active === null ? undefined : this.memberships.get(this.active);
    const org = role === undefined ? {} : { org: { id: this.active, role, permissions: OWNER_PERMISSIONS } };
    return `${part({ alg: 'ES256', typ: 'at+jwt' })}.${part({ sid: 'session-1', n, ...org })}.signature`;
  }

  private tokens(): Response {
    this.issued += 1;
    this.live.add(this.latestToken);
    return this.json(200, { accessToken: this.latestToken, tokenType: 'Bearer', expiresIn: 60, user: USER });
  }

  private json(status: number, body: unknown): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }
}

/** `navigator.locks` for one browser: an exclusive lock handed over in request order. */
class FakeLocks implements LockManagerLike {
  private held = false;
  private readonly queue: (() => void)[] = [];

  async request<T>(
    _name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T> {
    if (this.held && options.ifAvailable) return callback(null);
    if (this.held) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.held = true;
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
function channelHub(): () => ChannelLike {
  const channels = new Set<(data: unknown) => void>();
  return () => {
    const listeners: ((event: { data: unknown }) => void)[] = [];
    const deliver = (data: unknown) => listeners.forEach((listener) => listener({ data }));
    channels.add(deliver);
    return {
      postMessage: (message: unknown) => {
        const copy = structuredClone(message);
        for (const other of channels) if (other !== deliver) setTimeout(() => other(copy), 0);
      },
      addEventListener: (_type, listener) => listeners.push(listener),
      close: () => channels.delete(deliver),
    };
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('GatehouseClient: organizations', () => {
  let server: OrgServer;
  let now: number;
  let tabs: { client: GatehouseClient; events: ClientEvent[] }[];
  let tab: (locks?: LockManagerLike | null) => { client: GatehouseClient; events: ClientEvent[] };

  beforeEach(() => {
    server = new OrgServer();
    now = Date.UTC(2026, 0, 1);
    tabs = [];
    const locks = new FakeLocks();
    const channel = channelHub();
    tab = (withLocks: LockManagerLike | null = locks) => {
      const client = new GatehouseClient({
        baseUrl: API,
        fetch: server.fetch,
        now: () => now,
        locks: withLocks,
        channel: channel(),
        dpop: false,
      });
      const events: ClientEvent[] = [];
      client.subscribe((event) => events.push(event));
      tabs.push({ client, events });
      return { client, events };
    };
  });
  afterEach(() => tabs.forEach(({ client }) => client.close()));

  async function signedIn(locks?: LockManagerLike | null) {
    const opened = tab(locks);
    await opened.client.login(USER.email, 'a long enough passphrase');
    return opened;
  }

  describe('switchOrganization', () => {
    const ACTIVE: ActiveOrganization = { id: ORG.id, role: 'owner', permissions: OWNER_PERMISSIONS };

    it('refreshes with {organizationId} and the cookie, and the new token replaces the old one', async () => {
      const { client, events } = await signedIn();
      const before = server.latestToken;
      expect(client.activeOrganization()).toBeNull();

      await expect(client.switchOrganization(ORG.id)).resolves.toEqual(ACTIVE);

      const [refresh] = server.requestsTo('POST /api/auth/refresh');
      expect(refresh).toMatchObject({
        body: JSON.stringify({ organizationId: ORG.id }),
        contentType: 'application/json',
        credentials: 'include',
        // The refresh token is the HttpOnly cookie's: the body names the organization only.
        authorization: null,
      });
      expect(client.activeOrganization()).toEqual(ACTIVE);
      expect(server.latestToken).not.toBe(before);
      expect(events.at(-1)).toMatchObject({ type: 'refresh', reason: 'organization', source: 'this-tab' });

      await client.projects(ORG.id);
      expect(server.requestsTo(`GET /api/orgs/${ORG.id}/projects`)[0].authorization).toBe(
        `Bearer ${server.latestToken}`,
      );
    });

    it('leaves the organization with null', async () => {
      const { client } = await signedIn();
      await client.switchOrganization(ORG.id);

      await expect(client.switchOrganization(null)).resolves.toBeNull();

      expect(server.requestsTo('POST /api/auth/refresh')[1].body).toBe('{"organizationId":null}');
      expect(client.activeOrganization()).toBeNull();
      expect(client.isLoggedIn).toBe(true);
    });

    it('leaves the session as it was when refused with 403: same token, same organization, no event', async () => {
      const { client, events } = await signedIn();
      await client.switchOrganization(ORG.id);
      const token = server.latestToken;
      const state = client.state;
      const seenEvents = events.length;

      const refusal = await client.switchOrganization(STRANGERS_ORG).catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(ApiError);
      expect(refusal).toMatchObject({
        status: 403,
        message: '403: you are not a member of that organization',
      });
      expect(client.isLoggedIn).toBe(true);
      expect(client.state).toEqual(state);
      expect(client.activeOrganization()).toEqual(ACTIVE);
      expect(events).toHaveLength(seenEvents);
      await client.members(ORG.id);
      expect(server.requestsTo(`GET /api/orgs/${ORG.id}/members`)[0].authorization).toBe(`Bearer ${token}`);
      expect(server.requestsTo('POST /api/auth/refresh')).toHaveLength(2);
    });

    it('ends the session in every tab when the refresh token is dead (401), and says so', async () => {
      const { client, events } = await signedIn();
      server.sessionOver = true;

      await expect(client.switchOrganization(ORG.id)).rejects.toMatchObject({ status: 401 });

      expect(client.isLoggedIn).toBe(false);
      expect(events.at(-1)).toEqual({ type: 'logout', reason: 'session-ended', source: 'this-tab' });
    });

    // Without Web Locks, the tab's own single flight is all there is.
    const lockModes = [
      ['with Web Locks', undefined],
      ['without Web Locks', null],
    ] as const;

    it.each(lockModes)(
      'is the one refresh of calls that find the token expired meanwhile (%s)',
      async (_, locks) => {
        const { client } = await signedIn(locks);
        now += 61_000;

        const [active, ...answers] = await Promise.all([
          client.switchOrganization(ORG.id),
          ...Array.from({ length: 5 }, () => client.apiFetch(`/api/orgs/${ORG.id}/projects`)),
        ]);

        expect(active).toEqual(ACTIVE);
        expect(answers.map((answer) => answer.status)).toEqual(Array(5).fill(200));
        expect(server.requestsTo('POST /api/auth/refresh')).toHaveLength(1);
        const fresh = `Bearer ${server.latestToken}`;
        expect(
          server.requestsTo(`GET /api/orgs/${ORG.id}/projects`).map((seen) => seen.authorization),
        ).toEqual(Array(5).fill(fresh));
      },
    );

    it.each(lockModes)('waits for a refresh already under way, never two at once (%s)', async (_, locks) => {
      const { client } = await signedIn(locks);
      now += 61_000;
      const call = client.apiFetch('/api/orgs');
      await new Promise((resolve) => setTimeout(resolve, 1));

      await client.switchOrganization(ORG.id);
      await call;

      const refreshes = server.requestsTo('POST /api/auth/refresh');
      expect(refreshes.map((seen) => seen.body)).toEqual([null, JSON.stringify({ organizationId: ORG.id })]);
      expect(server.mostInFlight).toBe(1);
      expect(client.activeOrganization()).toEqual(ACTIVE);
    });

    it('hands the new token to the other tabs, which then act in the same organization', async () => {
      const first = await signedIn();
      const second = tab();
      await second.client.restore();
      await settle();

      await first.client.switchOrganization(ORG.id);
      await settle();

      expect(second.client.activeOrganization()).toEqual(ACTIVE);
      expect(second.events.at(-1)).toMatchObject({
        type: 'refresh',
        reason: 'organization',
        source: 'other-tab',
      });
    });
  });

  describe('the organization routes', () => {
    it('lists and creates organizations with the bearer token', async () => {
      const { client } = await signedIn();
      await expect(client.organizations()).resolves.toEqual([ORG]);
      await expect(client.createOrganization('Initech')).resolves.toMatchObject({ name: 'Initech' });
      const [created] = server.requestsTo('POST /api/orgs');
      expect(created.body).toBe('{"name":"Initech"}');
      expect(created.authorization).toBe(`Bearer ${server.latestToken}`);
    });

    it('puts the organization and the other ids in the path as one segment each, and the page in the query', async () => {
      const { client } = await signedIn();
      await client.projects(ORG.id, 5, 10);
      await client.changeMemberRole(ORG.id, '../x', 'admin');
      await client.invite(ORG.id, INVITATION.email, 'member');
      await client.acceptInvitation('the-token');

      expect(server.seen.slice(1).map((seen) => [seen.route, seen.body])).toEqual([
        [`GET /api/orgs/${ORG.id}/projects`, null],
        [`PATCH /api/orgs/${ORG.id}/members/..%2Fx`, '{"role":"admin"}'],
        [`POST /api/orgs/${ORG.id}/invitations`, JSON.stringify({ email: INVITATION.email, role: 'member' })],
        ['POST /api/invitations/accept', '{"token":"the-token"}'],
      ]);
      expect(server.seen[1].url).toBe(`${API}/api/orgs/${ORG.id}/projects?limit=5&offset=10`);
      expect(() => client.members('..')).toThrow(TypeError);
    });
  });
});
