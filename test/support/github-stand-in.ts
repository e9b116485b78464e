import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './http-test-server';

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility: 'public' | 'private' | null;
}

/** The GitHub user who is signed in on the stand-in's web pages. */
export interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  /** The public profile email, which GitHub does not verify for the API's sake: often null. */
  email: string | null;
  emails: GitHubEmail[];
}

export interface GitHubStandInOptions {
  clientId: string;
  clientSecret: string;
  /** The OAuth app's registered callback URL. */
  redirectUri: string;
}

/** What the stand-in made of one authorization request. */
export interface AuthorizeRequest {
  clientId: string | null;
  redirectUri: string | null;
  scope: string | null;
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  outcome: 'approved' | 'denied' | 'refused';
}

/** What the stand-in checked in one token request, and what it answered. */
export interface TokenRequest {
  clientAuthentication: 'basic' | 'body' | 'none';
  clientSecretValid: boolean;
  redirectUri: string | null;
  codeVerifier: string | null;
  /** The verifier's S256 hash equals the challenge sent with the authorization request. */
  verifierMatches: boolean;
  /** `issued`, or the error GitHub would answer. */
  outcome: string;
}

interface PendingCode {
  user: GitHubUser;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | null;
  expiresAt: number;
}

// GitHub grants the scopes it knows among those requested and silently drops the rest.
const KNOWN_SCOPES = new Set(['read:user', 'user:email', 'user', 'public_repo', 'repo']);
const CODE_LIFETIME_MS = 10 * 60 * 1000;

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(text || '{}') as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * A local stand-in for GitHub's OAuth web flow and REST API (laid out as GitHub Enterprise: the web flow at the
 * root, the API under `/api/v3`), on one HTTP server on 127.0.0.1. It checks what GitHub checks: the client and
 * its registered callback, the client secret, single-use unexpired codes, the `redirect_uri`, the PKCE verifier,
 * bearer tokens it issued and the `user:email` scope; and it answers token errors with HTTP 200 as GitHub does.
 */
export class GitHubStandIn {
  readonly authorizeRequests: AuthorizeRequest[] = [];
  readonly tokenRequests: TokenRequest[] = [];
  private signedIn?: GitHubUser;
  private denyNext = false;
  private codes = new Map<string, PendingCode>();
  private tokens = new Map<string, { user: GitHubUser; scopes: string[] }>();
  private server?: Server;

  private constructor(
    private options: GitHubStandInOptions,
    readonly port: number,
  ) {}

  static async start(options: GitHubStandInOptions): Promise<GitHubStandIn> {
    const { server, port } = await listenOnLoopback();
    const standIn = new GitHubStandIn(options, port);
    standIn.server = server;
    server.on('request', (req, res) => {
      standIn.route(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
    });
    return standIn;
  }

  /** Every access token issued so far: secrets the client must never log. */
  get issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  get webUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get apiUrl(): string {
    return `${this.webUrl}/api/v3`;
  }

  /** Signs `user` in on the web pages; a later call with the same id changes that account (login, emails…). */
  user(user: GitHubUser): void {
    this.signedIn = user;
    for (const grant of this.tokens.values()) if (grant.user.id === user.id) grant.user = user;
  }

  /** The browser opens `authorizationUrl`; resolves with where GitHub redirects it (the app's callback). */
  async signIn(authorizationUrl: string): Promise<URL> {
    const response = await fetch(authorizationUrl, { redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status !== 302 || !location)
      throw new Error(`the GitHub stand-in answered ${response.status}: ${await response.text()}`);
    return new URL(location);
  }

  /** As `signIn`, but the user presses Cancel on the authorization page. */
  async deny(authorizationUrl: string): Promise<URL> {
    this.denyNext = true;
    try {
      return await this.signIn(authorizationUrl);
    } finally {
      this.denyNext = false;
    }
  }

  /** Closes the port, open connections included. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.webUrl);
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') return this.authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token')
      return this.accessToken(req, res);
    if (req.method === 'GET' && url.pathname === '/api/v3/user') return this.api(req, res, 'user');
    if (req.method === 'GET' && url.pathname === '/api/v3/user/emails') return this.api(req, res, 'emails');
    send(res, 404, { message: 'Not Found' });
  }

  private authorize(url: URL, res: ServerResponse): void {
    const param = (name: string) => url.searchParams.get(name);
    const request: AuthorizeRequest = {
      clientId: param('client_id'),
      redirectUri: param('redirect_uri'),
      scope: param('scope'),
      state: param('state'),
      codeChallenge: param('code_challenge'),
      codeChallengeMethod: param('code_challenge_method'),
      outcome: 'refused',
    };
    this.authorizeRequests.push(request);
    // Like GitHub, an unknown client or a foreign callback gets an error page, never a redirect.
    if (request.clientId !== this.options.clientId)
      return send(res, 400, '<h1>The client_id is not registered</h1>', 'text/html');
    const redirectUri = request.redirectUri ?? this.options.redirectUri;
    if (redirectUri !== this.options.redirectUri)
      return send(res, 400, '<h1>The redirect_uri is not associated with this application</h1>', 'text/html');
    if (request.codeChallenge !== null && request.codeChallengeMethod !== 'S256')
      return send(res, 400, '<h1>code_challenge_method must be S256</h1>', 'text/html');
    if (!this.signedIn)
      return send(res, 400, '<h1>No GitHub user is signed in on the stand-in</h1>', 'text/html');

    const target = new URL(redirectUri);
    if (this.denyNext) {
      request.outcome = 'denied';
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      request.outcome = 'approved';
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, {
        user: this.signedIn,
        clientId: request.clientId,
        redirectUri,
        scopes: (request.scope ?? '').split(/[\s,]+/).filter((scope) => KNOWN_SCOPES.has(scope)),
        codeChallenge: request.codeChallenge,
        expiresAt: Date.now() + CODE_LIFETIME_MS,
      });
      target.searchParams.set('code', code);
    }
    if (request.state !== null) target.searchParams.set('state', request.state);
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  private async accessToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const entry: TokenRequest = {
      clientAuthentication: 'none',
      clientSecretValid: false,
      redirectUri: body.redirect_uri ?? null,
      codeVerifier: body.code_verifier ?? null,
      verifierMatches: false,
      outcome: 'issued',
    };
    this.tokenRequests.push(entry);
    const answer = (status: number, payload: Record<string, string>) => {
      const wantsJson = (req.headers.accept ?? '').includes('application/json');
      if (wantsJson) return send(res, status, payload);
      send(res, status, new URLSearchParams(payload).toString(), 'application/x-www-form-urlencoded');
    };
    const fail = (error: string, description: string) => {
      entry.outcome = error;
      // GitHub answers a failed exchange with 200 and an error in the body.
      answer(200, { error, error_description: description, error_uri: 'https://docs.github.com/apps' });
    };

    let clientId = body.client_id;
    let clientSecret = body.client_secret;
    const authorization = req.headers.authorization ?? '';
    if (/^basic /i.test(authorization)) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const separator = decoded.indexOf(':');
      const basicId = formDecode(decoded.slice(0, separator));
      if (clientId !== undefined && clientId !== basicId)
        return fail(
          'incorrect_client_credentials',
          'The client_id and/or client_secret passed are incorrect.',
        );
      clientId = basicId;
      clientSecret = formDecode(decoded.slice(separator + 1));
      entry.clientAuthentication = 'basic';
    } else if (clientSecret !== undefined) {
      entry.clientAuthentication = 'body';
    }
    entry.clientSecretValid =
      clientId === this.options.clientId &&
      clientSecret !== undefined &&
      sameText(clientSecret, this.options.clientSecret);
    if (!entry.clientSecretValid)
      return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');

    const pending = body.code === undefined ? undefined : this.codes.get(body.code);
    // A code is good once: it goes at the first attempt, whatever the outcome.
    if (body.code !== undefined) this.codes.delete(body.code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== clientId)
      return fail('bad_verification_code', 'The code passed is incorrect or expired.');
    if (entry.redirectUri !== null && entry.redirectUri !== pending.redirectUri)
      return fail(
        'redirect_uri_mismatch',
        'The redirect_uri MUST match the registered callback URL for this application.',
      );
    if (pending.codeChallenge !== null) {
      entry.verifierMatches =
        entry.codeVerifier !== null && sameText(s256(entry.codeVerifier), pending.codeChallenge);
      if (!entry.verifierMatches)
        return fail('bad_verification_code', 'The code_verifier does not match the challenge.');
    }

    const accessToken = `gho_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(accessToken, { user: pending.user, scopes: pending.scopes });
    answer(200, { access_token: accessToken, token_type: 'bearer', scope: pending.scopes.join(',') });
  }

  private api(req: IncomingMessage, res: ServerResponse, resource: 'user' | 'emails'): void {
    // GitHub's API refuses a request without a User-Agent.
    if (!req.headers['user-agent'])
      return send(res, 403, {
        message:
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.',
      });
    const match = /^(?:bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '');
    const grant = match ? this.tokens.get(match[1]) : undefined;
    if (!grant) return send(res, 401, { message: 'Bad credentials', status: '401' });
    const { user, scopes } = grant;
    if (resource === 'user')
      return send(res, 200, { id: user.id, login: user.login, name: user.name, email: user.email });
    // Without user:email (or user) a token cannot read the private addresses.
    if (!scopes.includes('user:email') && !scopes.includes('user'))
      return send(res, 404, { message: 'Not Found', status: '404' });
    send(res, 200, user.emails);
  }
}
