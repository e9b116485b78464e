import { createHash } from 'node:crypto';
import {
  Held,
  reauthenticated,
  sessionOf,
  UserWithEverything,
  userWithEverything,
} from './support/account-data';
import { LoggedIn, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError, expectStepUp } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { APP_URL } from './support/oauth-flow';
import { bearer } from './support/orgs';
import { TestApp } from './support/test-app';
import { signUpVerified } from './support/verified-sign-up';

/**
 * Exporting an account: everything stored about the caller, each kind of data under its name, as a file; no
 * secret, hash or key; nothing about anyone else, a colleague in the same organization included.
 */
const REAUTH_MAX_AGE_SECONDS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Rows = Record<string, unknown>[];

describeEachDatabase('exporting an account', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;
  let aged: LoggedIn;
  let agedAt: number;
  let everything: UserWithEverything;
  let exported: Record<string, unknown>;
  let text: string;
  let headers: Record<string, string>;

  const exportOf = (session: Held) =>
    app.http().get('/api/users/me/export').set('Authorization', `Bearer ${session.accessToken}`);

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: {
        SMTP_URL: mailbox.url,
        APP_URL,
        REAUTH_MAX_AGE: `${REAUTH_MAX_AGE_SECONDS}s`,
        THROTTLE_RECOVERY_LIMIT: '1000',
        THROTTLE_MFA_LIMIT: '1000',
      },
    });
    aged = await signUpVerified(app, uniqueEmail('aged'), mailbox);
    agedAt = Date.now();
    everything = await userWithEverything(app, mailbox);
    // The colleague has data of their own: another session and another note.
    await app
      .http()
      .post('/api/notes')
      .set(bearer(everything.colleague))
      .send({ title: 'not theirs' })
      .expect(201);
    const response = await exportOf(await reauthenticated(app, everything.user));
    expect(response.status).toBe(200);
    exported = response.body as Record<string, unknown>;
    text = response.text;
    headers = response.headers;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  }, 60_000);

  it('is a JSON file that no cache keeps', () => {
    expect(headers['content-type']).toMatch(/^application\/json/);
    const today = new Date().toISOString().slice(0, 10);
    expect(headers['content-disposition']).toMatch(
      /^attachment; filename="gatehouse-export-\d{4}-\d{2}-\d{2}\.json"$/,
    );
    expect([today, new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)]).toContain(
      /(\d{4}-\d{2}-\d{2})/.exec(headers['content-disposition'])![1],
    );
    expect(headers['cache-control']).toBe('no-store');
  });

  it('holds every kind of data the user has, each under its name', () => {
    const { user } = everything;
    expect(Object.keys(exported)).toEqual(
      expect.arrayContaining([
        'exportedAt',
        'user',
        'sessions',
        'identities',
        'passkeys',
        'totp',
        'recoveryCodes',
        'apiKeys',
        'activity',
        'memberships',
        'invitations',
        'notes',
        'emailLinks',
        'providerLinks',
        'passkeyUserHandle',
        'passkeyChallenges',
        'secondFactorChallenges',
        'wrongCodes',
      ]),
    );
    expect(new Date(exported.exportedAt as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(exported.user).toMatchObject({ id: user.userId, email: user.email, displayName: null });
    expect(Object.keys(exported.user as object).sort()).toEqual([
      'createdAt',
      'disabledAt',
      'displayName',
      'email',
      'emailVerifiedAt',
      'id',
      'roles',
      'updatedAt',
    ]);

    const sessions = exported.sessions as Rows;
    expect(sessions.map((session) => session.id)).toEqual(
      expect.arrayContaining(everything.sessions.map((session) => sessionOf(session.accessToken))),
    );
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual(
        [
          'amr',
          'authTime',
          'createdAt',
          'expiresAt',
          'id',
          'ip',
          'lastUsedAt',
          'revokedAt',
          'revokedReason',
          'userAgent',
        ].sort(),
      );
    }
    expect(sessions.some((session) => session.revokedReason === 'mfa_enabled')).toBe(true);
    expect(sessions.some((session) => (session.amr as string[]).includes('hwk'))).toBe(true);

    expect(exported.identities).toEqual([
      expect.objectContaining({ provider: 'corp', email: user.email, emailVerified: true }),
    ]);
    expect(exported.providerLinks).toEqual([expect.objectContaining({ provider: 'corp' })]);
    const passkeys = exported.passkeys as Rows;
    expect(passkeys).toHaveLength(1);
    expect(Object.keys(passkeys[0]).sort()).toEqual(
      ['backedUp', 'createdAt', 'deviceType', 'id', 'lastUsedAt', 'name', 'transports'].sort(),
    );
    expect(passkeys[0]).toMatchObject({ name: 'Laptop', transports: ['internal'] });
    expect(passkeys[0].lastUsedAt).not.toBeNull();
    expect((exported.passkeyUserHandle as Rows).length).toBe(1);
    expect((exported.passkeyChallenges as Rows).map((challenge) => challenge.purpose)).toContain('register');
    expect(exported.totp).toEqual({ enabled: true, confirmedAt: expect.any(String) });
    expect(exported.recoveryCodes).toEqual({ unused: everything.recoveryCodes.length });
    expect((exported.secondFactorChallenges as Rows).length).toBeGreaterThanOrEqual(1);
    expect((exported.wrongCodes as Rows).length).toBeGreaterThanOrEqual(1);

    const apiKeys = exported.apiKeys as Rows;
    expect(apiKeys).toEqual([
      expect.objectContaining({
        name: 'export script',
        prefix: everything.apiKey.slice(0, (apiKeys[0].prefix as string).length),
        scopes: ['notes:read'],
      }),
    ]);
    expect(apiKeys[0].lastUsedAt === null || typeof apiKeys[0].lastUsedAt === 'string').toBe(true);

    const activity = exported.activity as Rows;
    const types = activity.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(['account.created', 'login.succeeded', 'mfa.enabled', 'api_key.created']),
    );
    expect(Object.keys(activity[0]).sort()).toEqual(['at', 'details', 'id', 'ip', 'type', 'userAgent']);
    const ids = activity.map((event) => BigInt(event.id as string));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);

    expect(exported.memberships).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ organizationId: everything.soleOrgId, role: 'owner' }),
        expect.objectContaining({ organizationId: everything.sharedOrgId, role: 'admin' }),
      ]),
    );
    expect(exported.invitations).toEqual([
      expect.objectContaining({ organizationId: everything.invitingOrgId, role: 'member' }),
    ]);
    expect((exported.notes as Rows).map((note) => note.title).sort()).toEqual(
      [...everything.noteTitles].sort(),
    );
    expect((exported.emailLinks as Rows).map((link) => link.purpose)).toEqual(
      expect.arrayContaining(['verify_email', 'password_reset']),
    );
  });

  it('says nothing about another user, a colleague in the same organization included', async () => {
    const { colleague } = everything;
    expect(text).not.toContain(colleague.userId);
    expect(text).not.toContain(colleague.email);
    expect(text).not.toContain(everything.colleagueNoteTitle);
    expect(text).not.toContain('not theirs');
    expect(text).not.toContain(sessionOf(colleague.accessToken));
    expect(text).not.toContain(everything.invitedByUser);
    // The colleague's own export holds the shared organization, and none of the user's data.
    const theirs = await exportOf(await reauthenticated(app, colleague)).expect(200);
    expect(theirs.text).not.toContain(everything.user.userId);
    expect(theirs.text).not.toContain(everything.user.email);
    expect(theirs.text).toContain(everything.sharedOrgId);
  });

  it('holds no secret: no password hash, token or key hash, TOTP secret, recovery code or API key', async () => {
    const { user } = everything;
    const hex = (column: string, table: string, where: string) =>
      app.query<{ value: string }>(`SELECT ${column} AS value FROM ${table} WHERE ${where}`, [user.userId]);
    const secrets = [
      ...(await hex('password_hash', 'users', 'id = $1')),
      ...(await hex('hash', 'refresh_tokens', 'session_id IN (SELECT id FROM sessions WHERE user_id = $1)')),
      ...(await hex('token_hash', 'email_tokens', 'user_id = $1')),
      ...(await hex('token_hash', 'mfa_challenges', 'user_id = $1')),
      ...(await hex('code_hash', 'mfa_recovery_codes', 'user_id = $1')),
      ...(await hex('secret', 'mfa_totp', 'user_id = $1')),
      ...(await hex("encode(key_hash, 'hex')", 'api_keys', 'user_id = $1')),
      ...(await hex("encode(public_key, 'base64')", 'passkeys', 'user_id = $1')),
      ...(await hex('credential_id', 'passkeys', 'user_id = $1')),
      ...(await hex('challenge', 'webauthn_challenges', 'user_id = $1')),
      ...(await hex('state', 'oauth_transactions', 'link_user_id = $1')),
      ...(await hex('nonce', 'oauth_transactions', 'link_user_id = $1')),
      ...(await hex('code_verifier', 'oauth_transactions', 'link_user_id = $1')),
    ].map((row) => row.value);
    expect(secrets.length).toBeGreaterThan(20);
    const given = [
      everything.apiKey,
      createHash('sha256').update(everything.apiKey).digest('hex'),
      everything.totpSecret,
      ...everything.recoveryCodes,
      ...everything.sessions.map((session) => session.cookie.split('=')[1]),
      ...everything.sessions.map((session) => session.accessToken),
    ];
    for (const secret of [...secrets, ...given]) {
      expect({ secret, found: text.includes(secret.trim()) }).toEqual({ secret, found: false });
    }
    expect(text).not.toMatch(
      /"(passwordHash|password_hash|keyHash|tokenHash|codeHash|hash|secret|publicKey|counter|key)"/,
    );
  });

  it('needs a recent sign-in (401 insufficient_user_authentication), and is closed to API keys (403)', async () => {
    const left = agedAt + (REAUTH_MAX_AGE_SECONDS + 1.2) * 1000 - Date.now();
    if (left > 0) await sleep(left);
    const refused = await exportOf(aged);
    expectStepUp(refused, REAUTH_MAX_AGE_SECONDS);
    expect(refused.headers['content-disposition']).toBeUndefined();

    const byKey = await exportOf({ accessToken: everything.apiKey, cookie: '' });
    expect(byKey.status).toBe(403);
    expectNestError(byKey.body, 403);

    const fresh = await exportOf(await reauthenticated(app, aged)).expect(200);
    expect(fresh.body.user).toMatchObject({ id: aged.userId });
    expect(fresh.body.notes).toEqual([]);
    expect(fresh.body.memberships).toEqual([]);
    expect(fresh.body.totp).toEqual({ enabled: false, confirmedAt: null });
  });
});
