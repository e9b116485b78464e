import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { SessionCleaner } from '../libs/auth/src/tokens/session-cleaner';
import { UserData } from '../libs/users/src/user-data/user-data';
import {
  Held,
  invitationToken,
  reauthenticated,
  sessionOf,
  userWithEverything,
} from './support/account-data';
import { LoggedIn, login, PASSWORD, refresh, refreshCookieLine, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError, expectStepUp } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { APP_URL } from './support/oauth-flow';
import { bearer, ownOrg } from './support/orgs';
import { TestApp } from './support/test-app';
import { signUpVerified } from './support/verified-sign-up';

/**
 * Deleting an account, seen from outside and from the database's own catalogue: once deleted, no table holds
 * the user's address, and only the history holds their id (with nothing else); every token of theirs is refused
 * at once, on every instance, one started later included; a refusal changes nothing at all.
 */
const REAUTH_MAX_AGE_SECONDS = 8;
const ADMIN_EMAIL = `admin-${randomUUID()}@example.com`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Column {
  table_name: string;
  column_name: string;
}

describeEachDatabase('deleting an account', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;
  /** A user whose sign-in will be older than REAUTH_MAX_AGE when the last test runs. */
  let aged: LoggedIn;
  let agedAt: number;
  const seenInvitations = new Set<string>();

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: {
        SMTP_URL: mailbox.url,
        APP_URL,
        REAUTH_MAX_AGE: `${REAUTH_MAX_AGE_SECONDS}s`,
        ADMIN_EMAIL,
        ADMIN_PASSWORD: PASSWORD,
        THROTTLE_RECOVERY_LIMIT: '1000',
        THROTTLE_MFA_LIMIT: '1000',
      },
    });
    aged = await signUpVerified(app, uniqueEmail('aged'), mailbox);
    agedAt = Date.now();
    // Every endpoint hears of deleted users; nothing listens at its address, so deliveries wait in the table.
    await app.query(
      `INSERT INTO webhook_endpoints (url, events, secret) VALUES ('http://127.0.0.1:9/hooks', '{user.deleted}', $1)`,
      [`whsec_${randomUUID()}`],
    );
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  }, 60_000);

  const deleteMe = (session: Held) =>
    app.http().delete('/api/users/me').set('Authorization', `Bearer ${session.accessToken}`);
  const deleteAsAdmin = (session: Held, id: string) =>
    app.http().delete(`/api/admin/users/${id}`).set('Authorization', `Bearer ${session.accessToken}`);
  /** A route that answers any valid token of a user without reading the user: 200, or 401 once refused. */
  const notes = (target: TestApp, credential: string) =>
    target.http().get('/api/notes').set('Authorization', `Bearer ${credential}`);

  /** Every text, uuid, json and array column of every table, from the database's catalogue. */
  async function searchableColumns(): Promise<Column[]> {
    return app.query<Column>(
      `SELECT c.table_name, c.column_name
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
          AND c.data_type IN ('text', 'character varying', 'character', 'uuid', 'json', 'jsonb', 'ARRAY')
        ORDER BY c.table_name, c.column_name`,
    );
  }

  /** `table.column` → how many rows hold `needle` (case-insensitively), for every column that holds it. */
  async function whereFound(needle: string): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const { table_name: table, column_name: column } of await searchableColumns()) {
      const [{ n }] = await app.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${table}" WHERE strpos(lower("${column}"::text), lower($1)) > 0`,
        [needle],
      );
      if (n > 0) found[`${table}.${column}`] = n;
    }
    return found;
  }

  /** Waits until the outbox has delivered everything (bodies are wiped once sent). */
  async function outboxDrained(): Promise<void> {
    for (const deadline = Date.now() + 15_000; ;) {
      const [{ waiting }] = await app.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM mail_outbox WHERE sent_at IS NULL AND given_up_at IS NULL`,
      );
      if (waiting === 0) return;
      if (Date.now() > deadline) throw new Error(`${waiting} mail(s) still waiting`);
      await sleep(100);
    }
  }

  function expectClearedCookie(response: Response): void {
    const line = refreshCookieLine(response);
    expect(line).toBeDefined();
    expect(line).toMatch(/^refresh_token=;/);
    expect(line).toMatch(/Max-Age=0/i);
    expect(line).toMatch(/Path=\/api\/auth/);
  }

  /** Polls until `check` holds, for at most `ms`. */
  async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
    for (const deadline = Date.now() + ms; ;) {
      if (await check()) return true;
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  }

  it('registers every table that names a user with the users’ data registry', async () => {
    const registered = app.app.get(UserData).tables();
    const referencing = await app.query<{ table_name: string; on_delete: string }>(
      `SELECT con.conrelid::regclass::text AS table_name, con.confdeltype AS on_delete
         FROM pg_constraint con
        WHERE con.contype = 'f' AND con.confrelid = 'users'::regclass`,
    );
    // SET NULL keeps the row without the user (an invitation they sent, a client they made): nothing to erase.
    const holding = referencing.filter((ref) => ref.on_delete !== 'n').map((ref) => ref.table_name);
    const userColumns = (await searchableColumns())
      .filter((column) => column.column_name === 'user_id')
      .map((column) => column.table_name);
    expect(holding.length).toBeGreaterThan(10);
    for (const table of new Set([...holding, ...userColumns])) {
      expect({ table, registered: registered.includes(table) }).toEqual({ table, registered: true });
    }
  });

  it('erases every row of a user with every kind of data; refuses their tokens everywhere; says farewell', async () => {
    const everything = await userWithEverything(app, mailbox, seenInvitations);
    const { user, colleague } = everything;
    // The scan itself works: it finds a live user everywhere they are.
    const colleagueFound = await whereFound(colleague.userId);
    expect(Object.keys(colleagueFound)).toEqual(
      expect.arrayContaining(['sessions.user_id', 'notes.owner_id', 'org_memberships.user_id']),
    );
    const before = await whereFound(user.userId);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([
        'api_keys.user_id',
        'email_tokens.user_id',
        'mfa_challenges.user_id',
        'mfa_failures.user_id',
        'mfa_recovery_codes.user_id',
        'mfa_totp.user_id',
        'notes.owner_id',
        'oauth_transactions.link_user_id',
        'org_invitations.invited_by',
        'org_memberships.user_id',
        'passkeys.user_id',
        'sessions.user_id',
        'user_identities.user_id',
        'users.id',
        'webauthn_challenges.user_id',
        'webauthn_users.user_id',
      ]),
    );
    for (const session of everything.sessions.slice(0, 1).concat(everything.sessions.slice(2))) {
      await notes(app, session.accessToken).expect(200);
    }
    await notes(app, everything.apiKey).expect(200);
    const peer = kind === 'postgres' ? await TestApp.startPeer(app) : undefined;
    /** The newest history entry once the deletion has answered: what came before it is the account's. */
    let deletedAfter = '0';
    try {
      if (peer) await notes(peer, user.accessToken).expect(200);

      const fresh = await reauthenticated(app, user);
      const deleted = await deleteMe(fresh);
      expect(deleted.status).toBe(204);
      expectClearedCookie(deleted);
      [{ id: deletedAfter }] = await app.query<{ id: string }>(
        'SELECT COALESCE(max(id), 0)::text AS id FROM audit_events',
      );

      // At once, on this instance: every access token, the API key, every refresh cookie.
      const tokens = [fresh.accessToken, ...everything.sessions.map((session) => session.accessToken)];
      for (const token of tokens) await notes(app, token).expect(401);
      await notes(app, everything.apiKey).expect(401);
      for (const session of everything.sessions) await refresh(app, session.cookie).expect(401);
      // On another instance within 2 s, and on one started after the deletion at once.
      if (peer) {
        expect(await within(2000, async () => (await notes(peer, fresh.accessToken)).status === 401)).toBe(
          true,
        );
        for (const token of tokens) await notes(peer, token).expect(401);
        const later = await TestApp.startPeer(app);
        try {
          for (const token of tokens) await notes(later, token).expect(401);
          await notes(later, everything.apiKey).expect(401);
        } finally {
          await later.stop();
        }
      }
    } finally {
      await peer?.stop();
    }
    const revokedIds = await app.query<{ session_id: string }>('SELECT session_id FROM revoked_sessions');
    expect(revokedIds.map((row) => row.session_id)).toEqual(
      expect.arrayContaining(everything.sessions.map((session) => sessionOf(session.accessToken))),
    );

    // The farewell arrives, and its row forgets the address once sent.
    const farewell = await mailbox.waitFor(
      (mail) =>
        JSON.stringify(mail.to ?? '').includes(user.email) && /account was deleted/i.test(mail.subject ?? ''),
      10_000,
    );
    expect(farewell.text).toMatch(/deleted/);
    await outboxDrained();
    const [farewellRow] = await app.query<{ to: string; text: string }>(
      `SELECT "to", text FROM mail_outbox WHERE purpose = 'account_deleted_notice' AND sent_at IS NOT NULL
        ORDER BY created_at DESC LIMIT 1`,
    );
    expect(farewellRow).toEqual({ to: '', text: '' });

    // Reported to the webhook endpoints, with the id alone.
    const deliveries = await app.query<{ payload: string }>(
      `SELECT payload FROM webhook_deliveries WHERE event = 'user.deleted' AND strpos(payload, $1) > 0`,
      [user.userId],
    );
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0].payload)).toMatchObject({
      type: 'user.deleted',
      data: { id: user.userId },
    });
    expect(Object.keys(JSON.parse(deliveries[0].payload).data)).toEqual(['id']);

    // The organization the user was alone in is gone with its project; the shared one stays, with the
    // colleague, and the invitation the user sent, without its sender; the one addressed to them is gone.
    expect(await app.query('SELECT id FROM organizations WHERE id = $1', [everything.soleOrgId])).toEqual([]);
    expect(
      await app.query('SELECT id FROM projects WHERE organization_id = $1', [everything.soleOrgId]),
    ).toEqual([]);
    expect(
      await app.query('SELECT user_id, role FROM org_memberships WHERE organization_id = $1', [
        everything.sharedOrgId,
      ]),
    ).toEqual([{ user_id: colleague.userId, role: 'owner' }]);
    expect(
      await app.query('SELECT email, invited_by FROM org_invitations WHERE organization_id = $1', [
        everything.sharedOrgId,
      ]),
    ).toEqual([{ email: everything.invitedByUser, invited_by: null }]);
    expect(
      await app.query('SELECT id FROM org_invitations WHERE organization_id = $1', [
        everything.invitingOrgId,
      ]),
    ).toEqual([]);
    await app.http().get(`/api/orgs/${everything.sharedOrgId}`).set(bearer(colleague)).expect(200);

    // No row holds the address; only the history holds the id, with its type and time alone; and the
    // webhook delivery that reports the deletion.
    expect(await whereFound(user.email)).toEqual({});
    const after = await whereFound(user.userId);
    expect(Object.keys(after).sort()).toEqual(['audit_events.user_id', 'webhook_deliveries.payload']);
    expect(after['webhook_deliveries.payload']).toBe(1);
    const history = await app.query<{
      id: string;
      type: string;
      ip: string | null;
      user_agent: string | null;
      details: object;
    }>('SELECT id::text, type, ip, user_agent, details FROM audit_events WHERE user_id = $1 ORDER BY id', [
      user.userId,
    ]);
    const kept = history.filter((event) => BigInt(event.id) <= BigInt(deletedAfter));
    expect(kept.map((event) => event.type)).toEqual(
      expect.arrayContaining(['account.created', 'login.succeeded', 'session.revoked', 'account.deleted']),
    );
    for (const { id, type, ...rest } of kept) {
      expect({ id, type, ...rest }).toEqual({ id, type, ip: null, user_agent: null, details: {} });
    }
    // Attempts with the dead tokens since (a refused refresh) are new events: the session's id and why, no more.
    for (const { ip, user_agent: userAgent } of history)
      expect({ ip, userAgent }).toEqual({ ip: null, userAgent: null });

    // An instance started later (this one, restarted) refuses the tokens too, from the revocations kept.
    await app.restart();
    for (const session of everything.sessions) await notes(app, session.accessToken).expect(401);
    await notes(app, everything.apiKey).expect(401);
    // Those refusals may be recorded, but nothing outside the history's id column names the user.
    expect(await whereFound(user.email)).toEqual({});
    expect(Object.keys(await whereFound(user.userId)).sort()).toEqual([
      'audit_events.user_id',
      'webhook_deliveries.payload',
    ]);
  }, 120_000);

  it('refuses the last owner of an organization that has other members (409), and changes nothing', async () => {
    const owner = await signUpVerified(app, uniqueEmail('last-owner'), mailbox);
    const member = await signUpVerified(app, uniqueEmail('member'), mailbox);
    const org = await ownOrg(app, owner, `Kept ${randomUUID().slice(0, 8)}`);
    await app
      .http()
      .post(`/api/orgs/${org.id}/invitations`)
      .set(bearer(owner))
      .send({ email: member.email, role: 'member' })
      .expect(201);
    const token = await invitationToken(mailbox, member.email, seenInvitations);
    await app.http().post('/api/invitations/accept').set(bearer(member)).send({ token }).expect(200);
    await app.http().post('/api/notes').set(bearer(owner)).send({ title: 'kept' }).expect(201);
    const key = await app
      .http()
      .post('/api/auth/api-keys')
      .set(bearer(owner))
      .send({ name: 'kept', scopes: ['notes:read'] })
      .expect(201);
    await outboxDrained();
    const state = async () => ({
      id: await whereFound(owner.userId),
      email: await whereFound(owner.email),
      history: await app.query(
        'SELECT id, type, ip, user_agent, details FROM audit_events WHERE user_id = $1 ORDER BY id',
        [owner.userId],
      ),
      revoked: await app.query('SELECT count(*)::int AS n FROM revoked_sessions'),
      deliveries: await app.query('SELECT count(*)::int AS n FROM webhook_deliveries'),
      mail: await app.query('SELECT count(*)::int AS n FROM mail_outbox'),
    });
    const before = await state();

    const refused = await deleteMe(owner);
    expect(refused.status).toBe(409);
    expectNestError(refused.body, 409);
    expect(refused.body.message).toMatch(/last owner/);
    expect(refreshCookieLine(refused)).toBeUndefined();

    expect(await state()).toEqual(before);
    await notes(app, owner.accessToken).expect(200);
    await notes(app, key.body.key as string).expect(200);
    await refresh(app, owner.cookie).expect(200);

    // With another owner, the deletion goes through and the organization stays theirs.
    await app
      .http()
      .patch(`/api/orgs/${org.id}/members/${member.userId}`)
      .set(bearer(owner))
      .send({ role: 'owner' })
      .expect(200);
    await deleteMe(await reauthenticated(app, owner)).expect(204);
    expect(
      await app.query('SELECT user_id, role FROM org_memberships WHERE organization_id = $1', [org.id]),
    ).toEqual([{ user_id: member.userId, role: 'owner' }]);
  }, 60_000);

  it('deletes the organization where the user is the only member, with its API keys', async () => {
    const alone = await signUpVerified(app, uniqueEmail('alone'), mailbox);
    const org = await ownOrg(app, alone, `Solo ${randomUUID().slice(0, 8)}`);
    await app
      .http()
      .post('/api/auth/api-keys')
      .set(bearer(alone))
      .send({ name: 'in the organization', scopes: ['notes:read'], organizationId: org.id })
      .expect(201);
    await deleteMe(alone).expect(204);
    expect(await app.query('SELECT id FROM organizations WHERE id = $1', [org.id])).toEqual([]);
    expect(await app.query('SELECT id FROM api_keys WHERE organization_id = $1', [org.id])).toEqual([]);
    expect(
      await app.query('SELECT * FROM org_membership_changes WHERE organization_id = $1', [org.id]),
    ).toEqual([]);
  });

  describe('DELETE /api/admin/users/:id', () => {
    let admin: LoggedIn;
    beforeAll(async () => {
      admin = await login(app, ADMIN_EMAIL);
    });

    it('deletes another account as its owner could (204), then answers 404; 400 for a malformed id', async () => {
      const target = await signUpVerified(app, uniqueEmail('by-admin'), mailbox);
      await app.http().post('/api/notes').set(bearer(target)).send({ title: 'gone' }).expect(201);
      const deleted = await deleteAsAdmin(admin, target.userId);
      expect(deleted.status).toBe(204);
      await notes(app, target.accessToken).expect(401);
      await refresh(app, target.cookie).expect(401);
      await mailbox.waitFor(
        (mail) => JSON.stringify(mail.to ?? '').includes(target.email) && /deleted/i.test(mail.subject ?? ''),
        10_000,
      );
      expect(await app.query('SELECT id FROM users WHERE id = $1', [target.userId])).toEqual([]);
      const [event] = await app.query<{ details: object; ip: string | null }>(
        `SELECT details, ip FROM audit_events WHERE user_id = $1 AND type = 'account.deleted'`,
        [target.userId],
      );
      expect(event).toEqual({ details: {}, ip: null });

      expectNestError((await deleteAsAdmin(admin, target.userId).expect(404)).body, 404);
      await deleteAsAdmin(admin, randomUUID()).expect(404);
      await deleteAsAdmin(admin, 'not-a-uuid').expect(400);
    });

    it('refuses the administrator themselves (409), and the last enabled administrator deleting their own account (409)', async () => {
      const self = await deleteAsAdmin(admin, admin.userId);
      expect(self.status).toBe(409);
      expectNestError(self.body, 409);
      const last = await deleteMe(await reauthenticated(app, admin));
      expect(last.status).toBe(409);
      expect(last.body.message).toMatch(/last enabled administrator/);
      await login(app, ADMIN_EMAIL);
    });

    it('refuses a user who is no administrator (403), and API keys (403)', async () => {
      const user = await signUpVerified(app, uniqueEmail('not-admin'), mailbox);
      const victim = await signUpVerified(app, uniqueEmail('victim'), mailbox);
      expectNestError((await deleteAsAdmin(user, victim.userId).expect(403)).body, 403);
      const key = await app
        .http()
        .post('/api/auth/api-keys')
        .set(bearer(user))
        .send({
          name: 'no deletions',
          scopes: ['notes:read', 'notes:write', 'profile:read', 'profile:write'],
        })
        .expect(201);
      await deleteAsAdmin({ accessToken: key.body.key, cookie: '' }, victim.userId).expect(403);
      await deleteMe({ accessToken: key.body.key, cookie: '' }).expect(403);
      expect(
        await app.query('SELECT id FROM users WHERE id = ANY($1::uuid[])', [[user.userId, victim.userId]]),
      ).toHaveLength(2);
    });
  });

  it('needs a recent sign-in: 401 insufficient_user_authentication with max_age, and nothing changes', async () => {
    const left = agedAt + (REAUTH_MAX_AGE_SECONDS + 1.2) * 1000 - Date.now();
    if (left > 0) await sleep(left);
    const refused = await deleteMe(aged);
    expectStepUp(refused, REAUTH_MAX_AGE_SECONDS);
    await notes(app, aged.accessToken).expect(200);
    await deleteMe(await reauthenticated(app, aged)).expect(204);
  });

  it('purges kept revocations once every access token they stop has expired', async () => {
    const old = randomUUID();
    await app.query(
      `INSERT INTO revoked_sessions (session_id, revoked_at) VALUES ($1, now() - interval '1 day')`,
      [old],
    );
    const [{ kept }] = await app.query<{ kept: number }>(
      `SELECT count(*)::int AS kept FROM revoked_sessions WHERE revoked_at > now() - interval '1 hour'`,
    );
    expect(kept).toBeGreaterThan(0);
    await app.app.get(SessionCleaner).runOnce();
    expect(await app.query('SELECT session_id FROM revoked_sessions WHERE session_id = $1', [old])).toEqual(
      [],
    );
    const [{ left }] = await app.query<{ left: number }>(
      'SELECT count(*)::int AS left FROM revoked_sessions',
    );
    expect(left).toBe(kept);
  });
});
