import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, HttpTarget, LoggedIn, refresh, refreshCookie, signUp } from './support/auth-client';
import { all, statusCounts } from './support/concurrent';
import { describeEachDatabase, serverUrl } from './support/databases';
import { expectNestError } from './support/expectations';
import { bearer, OrgClaim, ownOrg, switchOrg } from './support/orgs';
import { TestApp } from './support/test-app';
import { signUpVerified } from './support/verified-sign-up';

const PROPAGATION_MS = 2000;
// The organization's own permissions, and the sample feature's (projects).
const OWNER_PERMISSIONS = [
  'members:invite',
  'members:remove',
  'members:update',
  'org:delete',
  'org:update',
  'projects:read',
  'projects:write',
];

const orgClaim = (session: LoggedIn) => decodeJwt(session.accessToken).payload.org as OrgClaim | undefined;

/** Makes `user` a member with `role` as an invitation's acceptance would, straight in the database. */
const join = (app: TestApp, orgId: string, user: LoggedIn, role: string) =>
  app.query('INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [
    orgId,
    user.userId,
    role,
  ]);

/** Asks `peer` with the token every 100 ms until it is refused or 2 s have passed since `since`. */
async function expectRefusedWithin2s(peer: HttpTarget, session: LoggedIn, path: string, since: number) {
  for (;;) {
    const sentAfterMs = Date.now() - since;
    const response = await peer.http().get(path).set(bearer(session));
    if (response.status !== 200 || sentAfterMs >= PROPAGATION_MS) {
      expect(response.status).toBe(401);
      expect(sentAfterMs).toBeLessThanOrEqual(PROPAGATION_MS);
      return;
    }
    await sleep(100);
  }
}

/**
 * The active organization lives in the access token: chosen by a refresh, re-read at every refresh, enforced on
 * every route under /api/orgs/:id/… from the token alone; and the members routes that change who holds what.
 */
describeEachDatabase('the active organization and members', (kind) => {
  let app: TestApp;
  let owner: LoggedIn;
  let org: { id: string };

  beforeAll(async () => {
    app = await TestApp.start(kind);
  });
  beforeEach(async () => {
    owner = await signUp(app);
    org = await ownOrg(app, owner);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const members = (session: LoggedIn, orgId = org.id) =>
    app.http().get(`/api/orgs/${orgId}/members`).set(bearer(session));
  const setRole = (session: LoggedIn, userId: string, role: string, orgId = org.id) =>
    app.http().patch(`/api/orgs/${orgId}/members/${userId}`).set(bearer(session)).send({ role });
  const removeMember = (session: LoggedIn, userId: string, orgId = org.id) =>
    app.http().delete(`/api/orgs/${orgId}/members/${userId}`).set(bearer(session));
  const newMember = async (role: string) => {
    const user = await signUp(app);
    await join(app, org.id, user, role);
    await switchOrg(app, user, org.id);
    return user;
  };

  describe('POST /api/auth/refresh {organizationId}', () => {
    it('puts org {id, role, permissions} in the access token, and the session keeps it', async () => {
      expect(orgClaim(owner)).toEqual({ id: org.id, role: 'owner', permissions: OWNER_PERMISSIONS });
      const again = await refresh(app, owner.cookie).expect(200);
      expect(decodeJwt(again.body.accessToken).payload.org).toEqual(orgClaim(owner));
      const [session] = await app.query<{ organization_id: string }>(
        'SELECT organization_id FROM sessions WHERE user_id = $1',
        [owner.userId],
      );
      expect(session.organization_id).toBe(org.id);
    });

    it('gives a member only what the role holds', async () => {
      const member = await newMember('member');
      expect(orgClaim(member)).toEqual({ id: org.id, role: 'member', permissions: ['projects:read'] });
      const admin = await newMember('admin');
      expect(orgClaim(admin)?.permissions).toEqual(OWNER_PERMISSIONS.filter((p) => p !== 'org:delete'));
    });

    it('leaves the organization with null, and the session forgets it', async () => {
      await switchOrg(app, owner, null);
      expect(decodeJwt(owner.accessToken).payload).not.toHaveProperty('org');
      const again = await refresh(app, owner.cookie).expect(200);
      expect(decodeJwt(again.body.accessToken).payload).not.toHaveProperty('org');
    });

    it('switches between two organizations of the caller', async () => {
      const other = await ownOrg(app, owner, 'Second');
      expect(orgClaim(owner)?.id).toBe(other.id);
      await switchOrg(app, owner, org.id);
      expect(orgClaim(owner)?.id).toBe(org.id);
    });

    it('refuses an organization the caller is not in with 403, and the refresh token stays good', async () => {
      const stranger = await signUp(app);
      for (const organizationId of [org.id, randomUUID()]) {
        const response = await app
          .http()
          .post('/api/auth/refresh')
          .set('Cookie', stranger.cookie)
          .send({ organizationId });
        expect(response.status).toBe(403);
        expectNestError(response.body, 403);
        expect(response.body.message).toBe('you are not a member of that organization');
        expect(refreshCookie(response)).toBeUndefined();
      }
      const still = await refresh(app, stranger.cookie).expect(200);
      expect(decodeJwt(still.body.accessToken).payload).not.toHaveProperty('org');
    });

    it.each([
      ['a number', 42],
      ['not a UUID', 'acme'],
      ['an object', { id: randomUUID() }],
    ])(
      'refuses an organizationId that is %s with 400, before the token is used',
      async (_case, organizationId) => {
        const response = await app
          .http()
          .post('/api/auth/refresh')
          .set('Cookie', owner.cookie)
          .send({ organizationId });
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        await refresh(app, owner.cookie).expect(200);
      },
    );

    it('drops the organization at the next refresh once the membership is gone', async () => {
      const member = await newMember('member');
      await removeMember(owner, member.userId).expect(204);
      const next = await refresh(app, member.cookie).expect(200);
      expect(decodeJwt(next.body.accessToken).payload).not.toHaveProperty('org');
      const [session] = await app.query<{ organization_id: string | null }>(
        'SELECT organization_id FROM sessions WHERE user_id = $1',
        [member.userId],
      );
      expect(session.organization_id).toBeNull();
    });

    it('keeps the active organization through a reauthentication', async () => {
      const response = await app
        .http()
        .post('/api/auth/reauthenticate')
        .set(bearer(owner))
        .send({ password: 'a long enough passphrase for tests' })
        .expect(200);
      expect(decodeJwt(response.body.accessToken).payload.org).toEqual(orgClaim(owner));
    });
  });

  describe('routes under /api/orgs/:id/…', () => {
    it('need :id to be the active organization: 403 otherwise, even for its owner', async () => {
      const other = await ownOrg(app, owner, 'Other');
      const response = await members(owner, org.id);
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
      expect(response.body.message).toMatch(/not your active one/);
      await members(owner, other.id).expect(200);
    });

    it('tell a stranger 403, as for any organization not active, never whether it exists', async () => {
      const stranger = await signUp(app);
      const real = await members(stranger, org.id);
      const made_up = await members(stranger, randomUUID());
      expect([real.status, made_up.status]).toEqual([403, 403]);
      expect(real.body).toEqual(made_up.body);
    });
  });

  describe('API keys made in an organization', () => {
    let verified: LoggedIn;
    let verifiedOrg: { id: string };
    beforeEach(async () => {
      verified = await signUpVerified(app);
      verifiedOrg = await ownOrg(app, verified);
    });
    const makeKey = (session: LoggedIn, body: object) =>
      app
        .http()
        .post('/api/auth/api-keys')
        .set(bearer(session))
        .send({ name: 'ci', ...body });
    const withKey = (key: string) => ({ Authorization: `Bearer ${key}` });
    const projects = (orgId: string) => `/api/orgs/${orgId}/projects`;

    it('act within the organization with their scopes and their user’s role there', async () => {
      const made = await makeKey(verified, { scopes: ['projects:read'], organizationId: verifiedOrg.id });
      expect(made.status).toBe(201);
      expect(made.body.organizationId).toBe(verifiedOrg.id);
      await app.http().get(projects(verifiedOrg.id)).set(withKey(made.body.key)).expect(200);
      // Its scopes bound it: no writing, and nothing outside its scopes.
      const write = await app
        .http()
        .post(projects(verifiedOrg.id))
        .set(withKey(made.body.key))
        .send({ name: 'x' });
      expect(write.status).toBe(403);
      expect(
        (await app.http().get(`/api/orgs/${verifiedOrg.id}/members`).set(withKey(made.body.key))).status,
      ).toBe(403);
      const listed = await app.http().get('/api/auth/api-keys').set(bearer(verified)).expect(200);
      expect(listed.body[0]).toMatchObject({ id: made.body.id, organizationId: verifiedOrg.id });
    });

    it('never act in another organization, and a key made outside one acts in none', async () => {
      const other = await ownOrg(app, verified, 'Other');
      await switchOrg(app, verified, verifiedOrg.id);
      const inOrg = await makeKey(verified, {
        scopes: ['projects:read'],
        organizationId: verifiedOrg.id,
      }).expect(201);
      expect((await app.http().get(projects(other.id)).set(withKey(inOrg.body.key))).status).toBe(403);
      const plain = await makeKey(verified, { scopes: ['projects:read'] }).expect(201);
      expect(plain.body).not.toHaveProperty('organizationId');
      expect((await app.http().get(projects(verifiedOrg.id)).set(withKey(plain.body.key))).status).toBe(403);
    });

    it('are made only in the caller’s active organization: 403 for another, 400 for a bad id', async () => {
      const other = await ownOrg(app, verified, 'Other');
      await switchOrg(app, verified, verifiedOrg.id);
      const response = await makeKey(verified, { scopes: ['projects:read'], organizationId: other.id });
      expect(response.status).toBe(403);
      expectNestError(response.body, 403);
      expect((await makeKey(verified, { scopes: ['projects:read'], organizationId: 'acme' })).status).toBe(
        400,
      );
      const keys = await app.query('SELECT 1 FROM api_keys WHERE user_id = $1', [verified.userId]);
      expect(keys).toEqual([]);
    });

    it('follow their user’s role, and stop when the membership ends', async () => {
      const member = await signUpVerified(app);
      await join(app, verifiedOrg.id, member, 'admin');
      await switchOrg(app, member, verifiedOrg.id);
      const made = await makeKey(member, {
        scopes: ['projects:read', 'projects:write'],
        organizationId: verifiedOrg.id,
      }).expect(201);
      const key = withKey(made.body.key);
      await app.http().post(projects(verifiedOrg.id)).set(key).send({ name: 'by key' }).expect(201);
      await app
        .http()
        .patch(`/api/orgs/${verifiedOrg.id}/members/${member.userId}`)
        .set(bearer(verified))
        .send({ role: 'member' })
        .expect(200);
      const demoted = await app.http().post(projects(verifiedOrg.id)).set(key).send({ name: 'again' });
      expect(demoted.status).toBe(403);
      await app.http().get(projects(verifiedOrg.id)).set(key).expect(200);
      await app
        .http()
        .delete(`/api/orgs/${verifiedOrg.id}/members/${member.userId}`)
        .set(bearer(verified))
        .expect(204);
      const gone = await app.http().get(projects(verifiedOrg.id)).set(key);
      expect(gone.status).toBe(401);
      expectNestError(gone.body, 401);
    });

    it('go with their organization', async () => {
      const made = await makeKey(verified, {
        scopes: ['projects:read'],
        organizationId: verifiedOrg.id,
      }).expect(201);
      await app.http().delete(`/api/orgs/${verifiedOrg.id}`).set(bearer(verified)).expect(204);
      expect((await app.http().get(projects(verifiedOrg.id)).set(withKey(made.body.key))).status).toBe(401);
      expect(await app.query('SELECT 1 FROM api_keys WHERE id = $1', [made.body.id])).toEqual([]);
    });
  });

  describe('members', () => {
    it('GET lists every member with their role, oldest first', async () => {
      const member = await newMember('member');
      const response = await members(member).expect(200);
      expect(response.body).toEqual([
        { userId: owner.userId, email: owner.email, role: 'owner', joinedAt: expect.any(String) },
        { userId: member.userId, email: member.email, role: 'member', joinedAt: expect.any(String) },
      ]);
    });

    it('PATCH changes a role (members:update), applied at the next refresh, the old token refused at once', async () => {
      const member = await newMember('member');
      const changed = await setRole(owner, member.userId, 'admin').expect(200);
      expect(changed.body).toMatchObject({ userId: member.userId, role: 'admin' });
      const stale = await members(member);
      expect(stale.status).toBe(401);
      expectNestError(stale.body, 401);
      await switchOrg(app, member, org.id);
      expect(orgClaim(member)?.role).toBe('admin');
      await members(member).expect(200);
    });

    it('refuses a member without members:update with 403 from the token, and changes nothing', async () => {
      const member = await newMember('member');
      const other = await newMember('member');
      const response = await setRole(member, other.userId, 'admin');
      expect(response.status).toBe(403);
      expect(response.body.message).toBe('your role (member) lacks the permission members:update');
      const [row] = await app.query<{ role: string }>(
        'SELECT role FROM org_memberships WHERE organization_id = $1 AND user_id = $2',
        [org.id, other.userId],
      );
      expect(row.role).toBe('member');
    });

    it('lets only an owner make or unmake an owner', async () => {
      const admin = await newMember('admin');
      const member = await newMember('member');
      expect((await setRole(admin, member.userId, 'owner')).status).toBe(403);
      expect((await setRole(admin, owner.userId, 'member')).status).toBe(403);
      expect((await removeMember(admin, owner.userId)).status).toBe(403);
      await setRole(owner, member.userId, 'owner').expect(200);
    });

    it('never demotes nor removes the last owner: 409', async () => {
      for (const response of [
        await setRole(owner, owner.userId, 'admin'),
        await removeMember(owner, owner.userId),
      ]) {
        expect(response.status).toBe(409);
        expectNestError(response.body, 409);
      }
      const second = await newMember('member');
      await setRole(owner, second.userId, 'owner').expect(200);
      await setRole(owner, owner.userId, 'admin').expect(200);
    });

    it('DELETE removes a member (members:remove), whose token stops at once', async () => {
      const member = await newMember('member');
      await members(member).expect(200);
      await removeMember(owner, member.userId).expect(204);
      expect((await members(member)).status).toBe(401);
      const listed = await members(owner).expect(200);
      expect(listed.body.map((m: { userId: string }) => m.userId)).toEqual([owner.userId]);
    });

    it('lets any member leave, but not remove another without members:remove', async () => {
      const member = await newMember('member');
      const other = await newMember('member');
      expect((await removeMember(member, other.userId)).status).toBe(403);
      await removeMember(member, member.userId).expect(204);
      const listed = await members(owner).expect(200);
      expect(listed.body.map((m: { userId: string }) => m.userId)).toEqual([owner.userId, other.userId]);
    });

    it('answers 404 for someone who is not a member, and 400 for a bad role or id', async () => {
      const stranger = await signUp(app);
      expect((await setRole(owner, stranger.userId, 'admin')).status).toBe(404);
      expect((await removeMember(owner, randomUUID())).status).toBe(404);
      for (const role of ['superuser', '', 7]) {
        const response = await setRole(owner, owner.userId, role as string);
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
      }
      expect((await setRole(owner, 'not-a-uuid', 'admin')).status).toBe(400);
    });

    it('stops the members’ tokens when the organization is deleted', async () => {
      const member = await newMember('admin');
      await members(member).expect(200);
      await app.http().delete(`/api/orgs/${org.id}`).set(bearer(owner)).expect(204);
      expect((await members(member)).status).toBe(401);
      const next = await refresh(app, member.cookie).expect(200);
      expect(decodeJwt(next.body.accessToken).payload).not.toHaveProperty('org');
    });

    if (kind === 'postgres') {
      it('two owners demoting each other at once leave exactly one owner', async () => {
        for (let round = 0; round < 5; round++) {
          const other = await newMember('owner');
          const first = owner;
          const answers = await all(2, (i) =>
            i === 0 ? setRole(first, other.userId, 'admin') : setRole(other, first.userId, 'admin'),
          );
          const owners = await app.query<{ user_id: string }>(
            `SELECT user_id FROM org_memberships WHERE organization_id = $1 AND role = 'owner'`,
            [org.id],
          );
          expect(owners).toHaveLength(1);
          expect(statusCounts(answers)[200]).toBe(1);
          // The winner stays; put the loser back as a plain member for the next round.
          const winner = owners[0].user_id === first.userId ? first : other;
          owner = winner;
          await switchOrg(app, owner, org.id);
          await removeMember(owner, winner === first ? other.userId : first.userId).expect(204);
        }
      });
    }
  });
});

if (serverUrl)
  describe('the active organization across instances [PostgreSQL]', () => {
    let a: TestApp;
    let b: TestApp;

    beforeAll(async () => {
      a = await TestApp.start('postgres');
      b = await TestApp.startPeer(a);
    });
    afterAll(async () => {
      await b?.stop();
      await a?.stop();
    });

    it('a member removed on A is refused on B within 2 s', async () => {
      const owner = await signUp(a);
      const org = await ownOrg(a, owner);
      const member = await signUp(a);
      await join(a, org.id, member, 'member');
      await switchOrg(a, member, org.id);
      const path = `/api/orgs/${org.id}/members`;
      await b.http().get(path).set(bearer(member)).expect(200);
      await a.http().delete(`/api/orgs/${org.id}/members/${member.userId}`).set(bearer(owner)).expect(204);
      await expectRefusedWithin2s(b, member, path, Date.now());
    });

    it('a role changed on A stops the old token on B within 2 s; the new one passes there', async () => {
      const owner = await signUp(a);
      const org = await ownOrg(a, owner);
      const admin = await signUp(a);
      await join(a, org.id, admin, 'admin');
      await switchOrg(a, admin, org.id);
      const path = `/api/orgs/${org.id}/members`;
      await b.http().get(path).set(bearer(admin)).expect(200);
      await a.http().patch(`${path}/${admin.userId}`).set(bearer(owner)).send({ role: 'member' }).expect(200);
      await expectRefusedWithin2s(b, admin, path, Date.now());
      await switchOrg(b, admin, org.id);
      expect(orgClaim(admin)?.role).toBe('member');
      await b.http().get(path).set(bearer(admin)).expect(200);
    });

    it('an instance that starts after the change learns it from the log', async () => {
      const owner = await signUp(a);
      const org = await ownOrg(a, owner);
      const member = await signUp(a);
      await join(a, org.id, member, 'member');
      await switchOrg(a, member, org.id);
      await a.http().delete(`/api/orgs/${org.id}/members/${member.userId}`).set(bearer(owner)).expect(204);
      const late = await TestApp.startPeer(a);
      try {
        expect((await late.http().get(`/api/orgs/${org.id}/members`).set(bearer(member))).status).toBe(401);
      } finally {
        await late.stop();
      }
    });
  });
