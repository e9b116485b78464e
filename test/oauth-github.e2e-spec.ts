import { Response } from 'supertest';
import { LoggedIn, refreshCookie } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { GitHubEmail, GitHubStandIn, GitHubUser } from './support/github-stand-in';
import { APP_URL, callbackUrl, HOME, oauthFlow, PUBLIC_URL } from './support/oauth-flow';
import { TestApp } from './support/test-app';

const CALLBACK_URL = callbackUrl('gh');
const CLIENT_ID = 'Iv1.gatehouse-e2e';
const CLIENT_SECRET = 'the github client secret that no log may show';

let nextId = 5_000_000 + Math.floor(Math.random() * 1_000_000);

describeEachDatabase('sign-in with GitHub', (kind) => {
  let github: GitHubStandIn;
  let app: TestApp;
  const secrets = new Set<string>([CLIENT_SECRET]);
  const flow = oauthFlow({ app: () => app, provider: 'gh', secrets });
  const { expectOAuthError, usersWithEmail } = flow;

  beforeAll(async () => {
    github = await GitHubStandIn.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: CALLBACK_URL,
    });
    app = await TestApp.start(kind, {
      env: {
        PUBLIC_URL,
        APP_URL,
        OAUTH_PROVIDERS: 'gh',
        OAUTH_GH_TYPE: 'github',
        OAUTH_GH_CLIENT_ID: CLIENT_ID,
        OAUTH_GH_CLIENT_SECRET: CLIENT_SECRET,
        OAUTH_GH_NAME: 'GitHub',
        OAUTH_GH_GITHUB_URL: github.webUrl,
        OAUTH_GH_GITHUB_API_URL: github.apiUrl,
        OAUTH_ALLOW_INSECURE_ISSUERS: 'true',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await github?.stop();
  });

  /** A GitHub account with one primary, verified, private address, signed in on the stand-in. */
  function githubUser(prefix: string, changes: Partial<GitHubUser> = {}): GitHubUser {
    nextId += 1;
    const user: GitHubUser = {
      id: nextId,
      login: `${prefix}-${nextId}`,
      name: `${prefix} on GitHub`,
      email: null,
      emails: [address(`${prefix}-${nextId}@users.example.com`, { primary: true })],
      ...changes,
    };
    github.user(user);
    return user;
  }

  function address(email: string, changes: Partial<GitHubEmail> = {}): GitHubEmail {
    return { email, primary: false, verified: true, visibility: 'private', ...changes };
  }

  async function startFlow(): Promise<{ authorizationUrl: string; cookie: string }> {
    const { response, cookie } = flow.startedFrom(await flow.start());
    return { authorizationUrl: response.headers.location, cookie };
  }

  async function callback(url: URL, cookie: string): Promise<Response> {
    const answer = await flow.callback(url, cookie);
    const session = refreshCookie(answer);
    if (session) secrets.add(session.split('=')[1]);
    return answer;
  }

  /** Start, authorize at the stand-in as its signed-in user, and come back. */
  async function signIn(): Promise<Response> {
    const { authorizationUrl, cookie } = await startFlow();
    return callback(await github.signIn(authorizationUrl), cookie);
  }

  async function sessionOf(answer: Response): Promise<LoggedIn> {
    expect({ status: answer.status, location: answer.headers.location }).toEqual({
      status: 303,
      location: HOME,
    });
    expect(refreshCookie(answer)).toBeDefined();
    return flow.sessionOf(answer);
  }

  it('lists GitHub among the providers', async () => {
    const response = await app.http().get('/api/auth/oauth/providers').expect(200);
    expect(response.body).toEqual([{ id: 'gh', name: 'GitHub' }]);
  });

  it('creates a verified user from the primary verified address, not the public or another one', async () => {
    const user = githubUser('newcomer');
    const primary = user.emails[0].email;
    user.email = `public-${user.id}@example.org`;
    user.emails = [address(`other-${user.id}@example.org`), ...user.emails];
    github.user(user);

    const session = await sessionOf(await signIn());
    expect(session.response.body.user).toMatchObject({ email: primary, emailVerified: true });
    const rows = await app.query<{ user_id: string; provider: string; subject: string }>(
      'SELECT user_id, provider, subject FROM user_identities WHERE user_id = $1',
      [session.userId],
    );
    expect(rows).toEqual([{ user_id: session.userId, provider: 'gh', subject: String(user.id) }]);
  });

  it('keys the identity on the numeric id: a renamed login with a new address is the same user, a reused login is not', async () => {
    const user = githubUser('renamed');
    const first = await sessionOf(await signIn());

    const oldLogin = user.login;
    github.user({
      ...user,
      login: `${oldLogin}-new`,
      name: 'Another Name',
      emails: [address(`moved-${user.id}@users.example.com`, { primary: true })],
    });
    const renamed = await sessionOf(await signIn());
    expect(renamed.userId).toBe(first.userId);

    // Someone else takes the old login: a different GitHub id, so never the first user.
    const squatter = githubUser('squatter', { login: oldLogin });
    const other = await sessionOf(await signIn());
    expect(other.userId).not.toBe(first.userId);
    expect(other.email).toBe(squatter.emails[0].email);
  });

  it('refuses an unverified primary address even with a verified secondary one: email_unverified, no user', async () => {
    const user = githubUser('unverified');
    const primary = user.emails[0].email;
    const secondary = `verified-secondary-${user.id}@example.org`;
    github.user({
      ...user,
      emails: [address(primary, { primary: true, verified: false }), address(secondary)],
    });

    expectOAuthError(await signIn(), 'email_unverified');
    expect(await usersWithEmail(primary)).toBe(0);
    expect(await usersWithEmail(secondary)).toBe(0);
    const rows = await app.query('SELECT 1 FROM user_identities WHERE subject = $1', [String(user.id)]);
    expect(rows).toHaveLength(0);
  });

  it('asks for user:email with a PKCE S256 challenge, and exchanges the code with the right secret and verifier', async () => {
    githubUser('checked');
    const authorizeBefore = github.authorizeRequests.length;
    const tokensBefore = github.tokenRequests.length;
    await sessionOf(await signIn());

    const authorize = github.authorizeRequests.slice(authorizeBefore);
    expect(authorize).toHaveLength(1);
    expect(authorize[0]).toMatchObject({
      clientId: CLIENT_ID,
      redirectUri: CALLBACK_URL,
      codeChallengeMethod: 'S256',
      outcome: 'approved',
    });
    expect(authorize[0].codeChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize[0].state).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(authorize[0].scope?.split(/[\s,]+/)).toContain('user:email');

    const exchanges = github.tokenRequests.slice(tokensBefore);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({ clientSecretValid: true, verifierMatches: true, outcome: 'issued' });
    expect(exchanges[0].clientAuthentication).not.toBe('none');
    expect([null, CALLBACK_URL]).toContain(exchanges[0].redirectUri);
  });

  it('answers access_denied when the user cancels at GitHub, without asking for a token', async () => {
    githubUser('cancelling');
    const tokensBefore = github.tokenRequests.length;
    const { authorizationUrl, cookie } = await startFlow();
    const denied = await github.deny(authorizationUrl);
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expectOAuthError(await callback(denied, cookie), 'access_denied');
    expect(github.tokenRequests.length).toBe(tokensBefore);
  });

  it("never logs a code, a state, the client secret, a cookie or GitHub's access tokens", () => {
    expect(github.issuedTokens.length).toBeGreaterThan(0);
    const text = app.logs.lines.join('\n');
    const leaked = [...secrets, ...github.issuedTokens].filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
  });
});
