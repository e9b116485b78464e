import { ParsedMail } from 'mailparser';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LoggedIn, login, register, uniqueEmail } from './support/auth-client';
import { all, statusCounts } from './support/concurrent';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestMailbox } from './support/mailbox';
import { bearer, ownOrg, switchOrg } from './support/orgs';
import { TestApp } from './support/test-app';
import { signUpVerified, verifyAddress } from './support/verified-sign-up';

const APP_URL = 'https://app.example.com';
const LINK = new RegExp(`^${APP_URL.replace(/\./g, '\\.')}/#invitation=([A-Za-z0-9_-]{43})$`, 'm');
const DAY_MS = 86_400_000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Invitations to organizations: sent by whoever holds `members:invite` in their active organization, mailed with a
 * one-time link through a real SMTP server, accepted or declined by the signed-in user whose verified address
 * was invited. Longer than most suites on purpose: one short test per rule of the contract, all on one app and
 * one mailbox, which take longer to start than the rules take to check.
 */
describeEachDatabase('invitations to organizations', (kind) => {
  let mailbox: TestMailbox;
  let app: TestApp;
  /** Tokens already handed to a test, so that a second invitation to one address yields the new token. */
  const seen = new Set<string>();

  beforeAll(async () => {
    mailbox = await TestMailbox.start();
    app = await TestApp.start(kind, {
      env: { SMTP_URL: mailbox.url, APP_URL, THROTTLE_RECOVERY_LIMIT: '100000' },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.stop();
  });

  const tokenIn = (mail: ParsedMail) => LINK.exec(mail.text ?? '')?.[1];
  const sentTo = (email: string) => (mail: ParsedMail) => JSON.stringify(mail.to ?? '').includes(email);
  /** The next invitation mailed to `email` that no test has read yet: the mail and the token of its link. */
  async function invitationMail(email: string): Promise<{ mail: ParsedMail; token: string }> {
    const mail = await mailbox.waitFor((m) => {
      const token = tokenIn(m);
      return sentTo(email)(m) && token !== undefined && !seen.has(token);
    }, 10_000);
    const token = tokenIn(mail)!;
    seen.add(token);
    return { mail, token };
  }

  const invite = (session: LoggedIn, orgId: string, body: object) =>
    app.http().post(`/api/orgs/${orgId}/invitations`).set(bearer(session)).send(body);
  const pending = (session: LoggedIn, orgId: string) =>
    app.http().get(`/api/orgs/${orgId}/invitations`).set(bearer(session));
  const withdraw = (session: LoggedIn, orgId: string, invitationId: string) =>
    app.http().delete(`/api/orgs/${orgId}/invitations/${invitationId}`).set(bearer(session));
  const accept = (session: LoggedIn, token: unknown) =>
    app.http().post('/api/invitations/accept').set(bearer(session)).send({ token });
  const decline = (session: LoggedIn, token: unknown) =>
    app.http().post('/api/invitations/decline').set(bearer(session)).send({ token });
  const rowsOf = (orgId: string) =>
    app.query('SELECT * FROM org_invitations WHERE organization_id = $1', [orgId]);
  const roleOf = async (orgId: string, userId: string) =>
    (
      await app.query<{ role: string }>(
        'SELECT role FROM org_memberships WHERE organization_id = $1 AND user_id = $2',
        [orgId, userId],
      )
    )[0]?.role;

  /** A verified owner of a new organization, active in their token. */
  async function owner() {
    const session = await signUpVerified(app, uniqueEmail('owner'), mailbox);
    const org = await ownOrg(app, session, `Org ${randomUUID().slice(0, 8)}`);
    return { session, org };
  }

  /** `user` invited to the organization as `role` by `by`, then accepting: a member, the organization active. */
  async function joined(by: LoggedIn, orgId: string, role: string): Promise<LoggedIn> {
    const user = await signUpVerified(app, uniqueEmail(role), mailbox);
    await invite(by, orgId, { email: user.email, role }).expect(201);
    await accept(user, (await invitationMail(user.email)).token).expect(200);
    await switchOrg(app, user, orgId);
    return user;
  }

  it('mails a one-time link; the verified invitee accepts it and is a member with the role', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('invitee'), mailbox);
    const before = Date.now();

    const sent = await invite(inviter, org.id, { email: `  ${invitee.email.toUpperCase()} `, role: 'admin' });
    expect(sent.status).toBe(201);
    expect(Object.keys(sent.body).sort()).toEqual([
      'createdAt',
      'email',
      'expiresAt',
      'id',
      'invitedBy',
      'role',
    ]);
    expect(sent.body).toMatchObject({
      email: invitee.email,
      role: 'admin',
      invitedBy: { id: inviter.userId, email: inviter.email },
    });
    const lifetime = new Date(sent.body.expiresAt).getTime() - new Date(sent.body.createdAt).getTime();
    expect(Math.abs(lifetime - 7 * DAY_MS)).toBeLessThan(5_000);
    expect(new Date(sent.body.createdAt).getTime()).toBeGreaterThanOrEqual(before - 2_000);

    const { mail, token } = await invitationMail(invitee.email);
    expect(mail.subject).toBe(`Invitation to join “${org.name}”`);
    expect(mail.text).toContain(
      `${inviter.email} invited you to join the organization “${org.name}” as an admin.`,
    );
    expect(mail.text).toContain('expires in 7 days');
    expect(mail.text!.split('\n')).toContain(`${APP_URL}/#invitation=${token}`);

    // Only the token's hash is kept.
    const [row] = await rowsOf(org.id);
    expect(row.token_hash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);

    const accepted = await accept(invitee, token);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ id: org.id, name: org.name, createdAt: org.createdAt, role: 'admin' });
    const listed = await app.http().get('/api/orgs').set(bearer(invitee)).expect(200);
    expect(listed.body).toEqual([accepted.body]);
    expect(await rowsOf(org.id)).toEqual([]);
    expect((await pending(inviter, org.id).expect(200)).body).toEqual([]);

    // Used once: the second use is answered as any dead token is.
    const again = await accept(invitee, token);
    expect(again.status).toBe(404);
    expectNestError(again.body, 404);
    expect(again.body).toEqual((await accept(invitee, randomBytes(32).toString('base64url'))).body);
  });

  it('lets a member removed a moment ago join again, and their new token works at once', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('rejoins'), mailbox);
    await invite(inviter, org.id, { email: invitee.email, role: 'member' }).expect(201);
    await accept(invitee, (await invitationMail(invitee.email)).token).expect(200);
    await switchOrg(app, invitee, org.id);
    await app.http().delete(`/api/orgs/${org.id}/members/${invitee.userId}`).set(bearer(inviter)).expect(204);
    await invite(inviter, org.id, { email: invitee.email, role: 'admin' }).expect(201);
    // The token that claims the old membership is refused everywhere now; a refresh gives one without it.
    expect((await accept(invitee, (await invitationMail(invitee.email)).token)).status).toBe(401);
    await switchOrg(app, invitee, null);
    await accept(invitee, [...seen].at(-1)).expect(200);
    await switchOrg(app, invitee, org.id);
    await app.http().get(`/api/orgs/${org.id}/members`).set(bearer(invitee)).expect(200);
  });

  it('lists pending invitations without their tokens, and withdraws one (its link dies)', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('withdrawn'), mailbox);
    const other = uniqueEmail('pending');
    const first = (await invite(inviter, org.id, { email: invitee.email, role: 'member' }).expect(201)).body;
    const second = (await invite(inviter, org.id, { email: other, role: 'admin' }).expect(201)).body;
    const { token } = await invitationMail(invitee.email);
    const { token: otherToken } = await invitationMail(other);

    const listed = await pending(inviter, org.id).expect(200);
    expect(listed.body).toEqual([first, second]);
    for (const secret of [token, otherToken, sha256(token), sha256(otherToken)]) {
      expect(listed.text).not.toContain(secret);
    }

    await withdraw(inviter, org.id, first.id).expect(204);
    expect((await withdraw(inviter, org.id, first.id)).status).toBe(404);
    expect((await withdraw(inviter, org.id, randomUUID())).status).toBe(404);
    await withdraw(inviter, org.id, 'not-a-uuid').expect(400);
    expect((await accept(invitee, token)).status).toBe(404);
    expect((await pending(inviter, org.id).expect(200)).body).toEqual([second]);

    // Another organization's owner cannot withdraw it through their own organization.
    const { session: stranger, org: strangers } = await owner();
    expect((await withdraw(stranger, strangers.id, second.id)).status).toBe(404);
    expect(await rowsOf(org.id)).toHaveLength(1);
  });

  it('refuses another address and an unverified one (403), and the invitation stays usable', async () => {
    const { session: inviter, org } = await owner();
    const email = uniqueEmail('unverified');
    await register(app, email);
    const invitee = await login(app, email);
    const someoneElse = await signUpVerified(app, uniqueEmail('else'), mailbox);
    await invite(inviter, org.id, { email, role: 'member' }).expect(201);
    const { token } = await invitationMail(email);

    for (const [session, answer] of [
      [someoneElse, accept],
      [someoneElse, decline],
      [invitee, accept],
      [invitee, decline],
    ] as const) {
      const refused = await answer(session, token);
      expect(refused.status).toBe(403);
      expectNestError(refused.body, 403);
    }
    expect(await rowsOf(org.id)).toHaveLength(1);

    await verifyAddress(app, email, mailbox);
    expect((await accept(invitee, token).expect(200)).body.role).toBe('member');
    expect(await roleOf(org.id, someoneElse.userId)).toBeUndefined();
  });

  it('refuses an expired invitation with the same 404 as an unknown one, and lists it no more', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('late'), mailbox);
    const { body: invitation } = await invite(inviter, org.id, { email: invitee.email, role: 'member' });
    const { token } = await invitationMail(invitee.email);
    await app.query(`UPDATE org_invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      invitation.id,
    ]);

    const unknown = await accept(invitee, randomBytes(32).toString('base64url'));
    for (const answer of [accept, decline]) {
      const refused = await answer(invitee, token);
      expect(refused.status).toBe(404);
      expect(refused.body).toEqual(unknown.body);
    }
    expect((await pending(inviter, org.id).expect(200)).body).toEqual([]);
    expect((await withdraw(inviter, org.id, invitation.id)).status).toBe(404);
    expect(await roleOf(org.id, invitee.userId)).toBeUndefined();
  });

  it('declines: 204, and the invitation is dead afterwards', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('declines'), mailbox);
    await invite(inviter, org.id, { email: invitee.email, role: 'admin' }).expect(201);
    const { token } = await invitationMail(invitee.email);

    await decline(invitee, token).expect(204);
    expect((await accept(invitee, token)).status).toBe(404);
    expect((await decline(invitee, token)).status).toBe(404);
    expect(await rowsOf(org.id)).toEqual([]);
    expect(await roleOf(org.id, invitee.userId)).toBeUndefined();
  });

  it('dies with its organization', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('orphan'), mailbox);
    await invite(inviter, org.id, { email: invitee.email, role: 'member' }).expect(201);
    const { token } = await invitationMail(invitee.email);
    const deleted = await app.http().delete(`/api/orgs/${org.id}`).set(bearer(inviter));
    expect([deleted.status, deleted.body]).toEqual([204, {}]);
    expect((await accept(invitee, token)).status).toBe(404);
  });

  it('replaces an earlier invitation of the same address: the old token dies', async () => {
    const { session: inviter, org } = await owner();
    const invitee = await signUpVerified(app, uniqueEmail('again'), mailbox);
    await invite(inviter, org.id, { email: invitee.email, role: 'member' }).expect(201);
    const { token: old } = await invitationMail(invitee.email);
    const latest = (await invite(inviter, org.id, { email: invitee.email, role: 'admin' }).expect(201)).body;
    const { token } = await invitationMail(invitee.email);

    expect((await pending(inviter, org.id).expect(200)).body).toEqual([latest]);
    expect((await accept(invitee, old)).status).toBe(404);
    expect((await accept(invitee, token).expect(200)).body.role).toBe('admin');
  });

  it('lets only an owner invite an owner; an admin invites admins and members', async () => {
    const { session: ownerSession, org } = await owner();
    const admin = await joined(ownerSession, org.id, 'admin');

    const refused = await invite(admin, org.id, { email: uniqueEmail('would-own'), role: 'owner' });
    expect(refused.status).toBe(403);
    expectNestError(refused.body, 403);
    await invite(admin, org.id, { email: uniqueEmail('by-admin'), role: 'admin' }).expect(201);
    await invite(admin, org.id, { email: uniqueEmail('by-admin'), role: 'member' }).expect(201);

    const futureOwner = await signUpVerified(app, uniqueEmail('co-owner'), mailbox);
    await invite(ownerSession, org.id, { email: futureOwner.email, role: 'owner' }).expect(201);
    await accept(futureOwner, (await invitationMail(futureOwner.email)).token).expect(200);
    expect(await roleOf(org.id, futureOwner.userId)).toBe('owner');
    expect(await rowsOf(org.id)).toHaveLength(2);
  });

  it('refuses members without members:invite, callers whose active organization is another, and strangers', async () => {
    const { session: ownerSession, org } = await owner();
    const member = await joined(ownerSession, org.id, 'member');
    const { body: invitation } = await invite(ownerSession, org.id, {
      email: uniqueEmail('x'),
      role: 'member',
    });

    for (const response of [
      await invite(member, org.id, { email: uniqueEmail('by-member'), role: 'member' }),
      await pending(member, org.id),
      await withdraw(member, org.id, invitation.id),
    ]) {
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
    }

    // The owner, with another organization active, is refused here until this one is active again.
    await ownOrg(app, ownerSession);
    expect((await pending(ownerSession, org.id)).status).toBe(403);
    await switchOrg(app, ownerSession, org.id);
    await pending(ownerSession, org.id).expect(200);

    const { session: stranger } = await owner();
    expect((await invite(stranger, org.id, { email: uniqueEmail('y'), role: 'member' })).status).toBe(403);
    expect((await pending(stranger, org.id)).status).toBe(403);
    for (const response of [
      await app.http().get(`/api/orgs/${org.id}/invitations`),
      await app
        .http()
        .post(`/api/orgs/${org.id}/invitations`)
        .send({ email: uniqueEmail('z'), role: 'member' }),
      await app
        .http()
        .post('/api/invitations/accept')
        .send({ token: 'x'.repeat(43) }),
    ]) {
      expect(response.status).toBe(401);
    }
    expect(await rowsOf(org.id)).toHaveLength(1);
  });

  it('checks the inviter’s role in the database too, however fresh the token says it is', async () => {
    const { session: ownerSession, org } = await owner();
    const admin = await joined(ownerSession, org.id, 'admin');
    // The token still says admin; the membership no longer does (as in the moment before a change is heard).
    await app.query(
      `UPDATE org_memberships SET role = 'member' WHERE organization_id = $1 AND user_id = $2`,
      [org.id, admin.userId],
    );
    const refused = await invite(admin, org.id, { email: uniqueEmail('stale'), role: 'member' });
    expect(refused.status).toBe(403);
    expect(await rowsOf(org.id)).toEqual([]);
  });

  it('answers 409 to inviting a member, and to a member accepting (the invitation stays usable)', async () => {
    const { session: ownerSession, org } = await owner();
    const member = await joined(ownerSession, org.id, 'member');
    for (const email of [member.email, ownerSession.email.toUpperCase()]) {
      const refused = await invite(ownerSession, org.id, { email, role: 'admin' });
      expect(refused.status).toBe(409);
      expectNestError(refused.body, 409);
    }
    expect(await rowsOf(org.id)).toEqual([]);

    const invitee = await signUpVerified(app, uniqueEmail('twice'), mailbox);
    await invite(ownerSession, org.id, { email: invitee.email, role: 'admin' }).expect(201);
    const { token } = await invitationMail(invitee.email);
    // Made a member meanwhile by another way.
    await app.query(
      `INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, 'member')`,
      [org.id, invitee.userId],
    );
    const conflict = await accept(invitee, token);
    expect(conflict.status).toBe(409);
    expectNestError(conflict.body, 409);
    expect(await roleOf(org.id, invitee.userId)).toBe('member');
    await app.query('DELETE FROM org_memberships WHERE organization_id = $1 AND user_id = $2', [
      org.id,
      invitee.userId,
    ]);
    expect((await accept(invitee, token).expect(200)).body.role).toBe('admin');
  });

  it.each([
    ['no body', {}],
    ['a bad email', { email: 'not-an-email', role: 'member' }],
    ['an email that is not text', { email: 42, role: 'member' }],
    ['no role', { email: 'someone@example.com' }],
    ['an unknown role', { email: 'someone@example.com', role: 'superuser' }],
    ['a role that is not text', { email: 'someone@example.com', role: ['admin'] }],
    ['an extra property', { email: 'someone@example.com', role: 'member', organizationId: randomUUID() }],
  ])('refuses an invitation with %s: 400, nothing stored, nothing sent', async (_case, body) => {
    const { session, org } = await owner();
    const response = await invite(session, org.id, body);
    expect(response.status).toBe(400);
    expectNestError(response.body, 400);
    expect(await rowsOf(org.id)).toEqual([]);
    const queued = await app.query(
      `SELECT 1 FROM mail_outbox WHERE purpose = 'org_invitation' AND "to" = $1`,
      ['someone@example.com'],
    );
    expect(queued).toEqual([]);
  });

  it('answers bad tokens with 400 (not a token) or 404 (no such invitation), never 500', async () => {
    const user = await signUpVerified(app, uniqueEmail('guesser'), mailbox);
    for (const token of ['', 42, null, ['x'], { a: 1 }, 'x'.repeat(257)]) {
      for (const answer of [accept, decline]) expect((await answer(user, token)).status).toBe(400);
    }
    for (const token of ['garbage', 'A'.repeat(43), 'é'.repeat(100), "' OR 1=1 --"]) {
      for (const answer of [accept, decline]) expect((await answer(user, token)).status).toBe(404);
    }
    const extra = await app
      .http()
      .post('/api/invitations/accept')
      .set(bearer(user))
      .send({ token: 'A'.repeat(43), role: 'owner' });
    expect(extra.status).toBe(400);
  });

  it('names the inviter only by a verified address, and keeps the organization’s name to one quoted line', async () => {
    const claimed = uniqueEmail('claims');
    await register(app, claimed);
    const unverified = await login(app, claimed);
    const org = await ownOrg(app, unverified, 'Acme\u202Egnp.exe\r\nBcc: victim@example.com');
    const email = uniqueEmail('phished');
    await invite(unverified, org.id, { email, role: 'member' }).expect(201);
    const { mail } = await invitationMail(email);
    expect(mail.text).not.toContain(unverified.email);
    expect(mail.text).toContain(
      'A member of the organization invited you to join the organization “Acme gnp.exe Bcc: victim@example.com” as a member.',
    );
    expect(mail.subject).not.toMatch(/[\r\n\u202E]/);
    expect(mail.text).not.toContain('\u202E');
    expect(JSON.stringify(mail.to)).not.toContain('victim');
    expect(mail.cc).toBeUndefined();
    expect(mail.bcc).toBeUndefined();
  });

  it('shows no one as the inviter once their account is gone', async () => {
    const { session: ownerSession, org } = await owner();
    const admin = await joined(ownerSession, org.id, 'admin');
    const { body: sent } = await invite(admin, org.id, { email: uniqueEmail('kept'), role: 'member' });
    await app.query('DELETE FROM users WHERE id = $1', [admin.userId]);
    expect((await pending(ownerSession, org.id).expect(200)).body).toEqual([{ ...sent, invitedBy: null }]);
  });

  it('gives exactly one membership to concurrent uses of one invitation', async () => {
    for (let round = 0; round < 4; round++) {
      const { session: inviter, org } = await owner();
      const invitee = await signUpVerified(app, uniqueEmail(`race${round}`), mailbox);
      await invite(inviter, org.id, { email: invitee.email, role: 'member' }).expect(201);
      const { token } = await invitationMail(invitee.email);
      // Two accepts, or (odd rounds) an accept racing a decline: one wins, the other finds the token used.
      const responses = await all(2, (i) => (i === 0 || round % 2 === 0 ? accept : decline)(invitee, token));
      const counts = statusCounts(responses);
      expect(counts[404]).toBe(1);
      expect((counts[200] ?? 0) + (counts[204] ?? 0)).toBe(1);
      const memberships = await app.query(
        'SELECT 1 FROM org_memberships WHERE organization_id = $1 AND user_id = $2',
        [org.id, invitee.userId],
      );
      expect(memberships).toHaveLength(counts[200] ?? 0);
      expect(await rowsOf(org.id)).toEqual([]);
    }
  });

  it('never writes an invitation token to the log', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.size).toBeGreaterThan(10);
    const leaking = app.logs.lines.filter((line) => [...seen].some((token) => line.includes(token)));
    expect(leaking).toEqual([]);
  });
});

describeEachDatabase('invitations: throttled per inviter and per invited address', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { THROTTLE_RECOVERY_LIMIT: '2', THROTTLE_INVITE_LIMIT: '4' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const send = (session: LoggedIn, orgId: string, email: string) =>
    app.http().post(`/api/orgs/${orgId}/invitations`).set(bearer(session)).send({ email, role: 'member' });

  it('counts mail to one invited address as recovery mail is: 429 with Retry-After', async () => {
    const session = await signUpVerified(app);
    const org = await ownOrg(app, session);
    const email = uniqueEmail('flooded');
    await send(session, org.id, email).expect(201);
    await send(session, org.id, email).expect(201);
    const throttled = await send(session, org.id, email);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('counts per inviting user, not per client address: another inviter behind it is not held back', async () => {
    const session = await signUpVerified(app);
    const org = await ownOrg(app, session);
    for (let i = 0; i < 4; i++) await send(session, org.id, uniqueEmail('team')).expect(201);
    expect((await send(session, org.id, uniqueEmail('team'))).status).toBe(429);
    const colleague = await signUpVerified(app);
    const theirs = await ownOrg(app, colleague);
    await send(colleague, theirs.id, uniqueEmail('team')).expect(201);
  });
});
