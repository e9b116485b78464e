import { randomUUID } from 'node:crypto';
import { LoggedIn, signUp } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestApp } from './support/test-app';

/**
 * Organizations, first part: made by anyone signed in (who owns it), read by its members, renamed by an owner or
 * an admin, deleted by an owner only; to anyone else an organization does not exist.
 */
describeEachDatabase('organizations', (kind) => {
  let app: TestApp;
  let owner: LoggedIn;
  let stranger: LoggedIn;

  beforeAll(async () => {
    app = await TestApp.start(kind);
    stranger = await signUp(app);
  });
  beforeEach(async () => {
    owner = await signUp(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const as = (session: LoggedIn) => ({ Authorization: `Bearer ${session.accessToken}` });
  const create = (session: LoggedIn, body: object) =>
    app.http().post('/api/orgs').set(as(session)).send(body);
  const newOrg = async (session: LoggedIn, name = `Org ${randomUUID()}`) => {
    const response = await create(session, { name }).expect(201);
    return response.body as { id: string; name: string; createdAt: string; role: string };
  };
  /** Makes `user` a member with `role`: the invitation routes come with the next part. */
  const join = (orgId: string, user: LoggedIn, role: string) =>
    app.query('INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [
      orgId,
      user.userId,
      role,
    ]);

  it('POST /api/orgs makes the caller the owner', async () => {
    const before = Date.now();
    const response = await create(owner, { name: '  Acme Corp  ' });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['createdAt', 'id', 'name', 'role']);
    expect(response.body).toMatchObject({ name: 'Acme Corp', role: 'owner' });
    expect(new Date(response.body.createdAt).getTime()).toBeGreaterThanOrEqual(before - 2000);
    const rows = await app.query('SELECT user_id, role FROM org_memberships WHERE organization_id = $1', [
      response.body.id,
    ]);
    expect(rows).toEqual([{ user_id: owner.userId, role: 'owner' }]);
  });

  it.each([
    ['no name', {}],
    ['a blank name', { name: '   ' }],
    ['a name of 101 characters', { name: 'n'.repeat(101) }],
    ['a name that is not text', { name: 42 }],
    ['a NUL in the name', { name: 'a\u0000b' }],
    ['an unknown property', { name: 'x', ownerId: randomUUID() }],
  ])('refuses %s with 400, and makes nothing', async (_case, body) => {
    const response = await create(owner, body);
    expect(response.status).toBe(400);
    expectNestError(response.body, 400);
    expect(await app.query('SELECT 1 FROM org_memberships WHERE user_id = $1', [owner.userId])).toEqual([]);
  });

  it('GET /api/orgs lists the caller’s organizations with the caller’s role, and no one else’s', async () => {
    const mine = await newOrg(owner, 'First');
    const theirs = await newOrg(stranger, 'Theirs');
    await join(theirs.id, owner, 'member');
    const listed = await app.http().get('/api/orgs').set(as(owner)).expect(200);
    expect(listed.body).toEqual([
      { ...mine },
      { id: theirs.id, name: 'Theirs', createdAt: theirs.createdAt, role: 'member' },
    ]);
    const strangers = await app.http().get('/api/orgs').set(as(stranger)).expect(200);
    expect(strangers.body.map((org: { id: string }) => org.id)).not.toContain(mine.id);
  });

  it('GET /api/orgs/:id: a member reads it; to anyone else it does not exist', async () => {
    const org = await newOrg(owner);
    expect((await app.http().get(`/api/orgs/${org.id}`).set(as(owner)).expect(200)).body).toEqual(org);
    const hidden = await app.http().get(`/api/orgs/${org.id}`).set(as(stranger));
    expect(hidden.status).toBe(404);
    const missing = await app.http().get(`/api/orgs/${randomUUID()}`).set(as(owner));
    expect(missing.status).toBe(404);
    // The same answer, word for word: a stranger cannot tell an organization from no organization.
    expect(hidden.body).toEqual(missing.body);
    await app.http().get('/api/orgs/not-a-uuid').set(as(owner)).expect(400);
    await app.http().get(`/api/orgs/${org.id}`).expect(401);
  });

  it('PATCH /api/orgs/:id: an owner or an admin renames it; a member may not; a stranger finds nothing', async () => {
    const org = await newOrg(owner);
    const admin = await signUp(app);
    const member = await signUp(app);
    await join(org.id, admin, 'admin');
    await join(org.id, member, 'member');
    const rename = (session: LoggedIn, name: string) =>
      app.http().patch(`/api/orgs/${org.id}`).set(as(session)).send({ name });

    expect((await rename(owner, 'By the owner').expect(200)).body).toEqual({ ...org, name: 'By the owner' });
    expect((await rename(admin, 'By an admin').expect(200)).body).toMatchObject({
      name: 'By an admin',
      role: 'admin',
    });
    const refused = await rename(member, 'By a member');
    expect(refused.status).toBe(403);
    expectNestError(refused.body, 403);
    await rename(stranger, 'By a stranger').expect(404);
    await rename(owner, '').expect(400);
    expect((await app.http().get(`/api/orgs/${org.id}`).set(as(member)).expect(200)).body.name).toBe(
      'By an admin',
    );
  });

  it('DELETE /api/orgs/:id: only an owner deletes it, with every membership', async () => {
    const org = await newOrg(owner);
    const admin = await signUp(app);
    const member = await signUp(app);
    await join(org.id, admin, 'admin');
    await join(org.id, member, 'member');
    const remove = (session: LoggedIn) => app.http().delete(`/api/orgs/${org.id}`).set(as(session));

    await remove(member).expect(403);
    await remove(admin).expect(403);
    await remove(stranger).expect(404);
    await remove(owner).expect(204);
    await app.http().get(`/api/orgs/${org.id}`).set(as(member)).expect(404);
    await remove(owner).expect(404);
    expect(await app.query('SELECT 1 FROM org_memberships WHERE organization_id = $1', [org.id])).toEqual([]);
  });

  it('a rename racing the deletion leaves either the renamed organization or none, never a 500', async () => {
    for (let round = 0; round < 5; round++) {
      const org = await newOrg(owner);
      const [renamed, deleted] = await Promise.all([
        app.http().patch(`/api/orgs/${org.id}`).set(as(owner)).send({ name: 'Renamed' }),
        app.http().delete(`/api/orgs/${org.id}`).set(as(owner)),
      ]);
      expect([200, 404]).toContain(renamed.status);
      expect(deleted.status).toBe(204);
      expect(await app.query('SELECT 1 FROM organizations WHERE id = $1', [org.id])).toEqual([]);
    }
  });
});
