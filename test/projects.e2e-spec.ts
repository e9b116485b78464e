import { randomUUID } from 'node:crypto';
import { activeOrgOf, describeOrgScopedCrud } from './support/org-scoped-crud';
import { bearer } from './support/orgs';
import { StatementWatch, tablesOf, watchStatements } from './support/statement-counter';

describeOrgScopedCrud(
  'projects: organization-owned CRUD at /api/orgs/:id/projects',
  {
    collection: 'projects',
    table: 'projects',
    keys: ['createdAt', 'id', 'name', 'updatedAt'],
    grants: { read: ['owner', 'admin', 'member'], write: ['owner', 'admin'] },
    create: (label) => ({ name: label }),
    updates: [['of the name', { name: 'a new name' }]],
    invalidCreates: [
      ['a missing name', {}],
      ['an empty name', { name: '' }],
      ['a name of spaces only', { name: '   ' }],
      ['a non-string name', { name: 42 }],
      ['a null name', { name: null }],
      ['a name over 100 characters', { name: 'x'.repeat(101) }],
      ['a NUL character in the name', { name: 'before\u0000after' }],
    ],
    invalidUpdates: [
      ['an empty name', { name: '' }],
      ['a null name', { name: null }],
      ['a name over 100 characters', { name: 'y'.repeat(101) }],
      ['a NUL character in the name', { name: 'a\u0000b' }],
    ],
  },
  (projects) => {
    describe('what only projects do', () => {
      it('trims the name, and accepts one of exactly 100 characters', async () => {
        const owner = await projects.newCaller();
        const trimmed = await projects.newItem(owner, { name: '  Website relaunch \t' });
        expect(trimmed.name).toBe('Website relaunch');
        const longest = await projects.newItem(owner, { name: 'x'.repeat(100) });
        expect(longest.name).toBe('x'.repeat(100));
      });

      it('gives member projects:read, admin and owner projects:read and projects:write, as the contract’s table says', async () => {
        const owner = await projects.newCaller();
        const orgId = projects.ownerOf(owner);
        const admin = await projects.newMember(orgId, 'admin');
        const member = await projects.newMember(orgId, 'member');
        const projectPermissions = Object.fromEntries(
          [owner, admin, member].map((session) => {
            const org = activeOrgOf(session)!;
            return [org.role, org.permissions.filter((permission) => permission.startsWith('projects:'))];
          }),
        );
        expect(projectPermissions).toEqual({
          owner: ['projects:read', 'projects:write'],
          admin: ['projects:read', 'projects:write'],
          member: ['projects:read'],
        });
      });

      it('declares projects:read and projects:write for API keys, and each route needs one of them', async () => {
        const scopes = await projects.app.http().get('/api/auth/scopes').expect(200);
        expect(scopes.body).toEqual(
          expect.arrayContaining([
            { scope: 'projects:read', description: "Read your organization's projects" },
            {
              scope: 'projects:write',
              description: "Create, rename and delete your organization's projects",
            },
          ]),
        );
        const { paths } = (await projects.app.http().get('/api/docs-json').expect(200)).body;
        const scopeOf = (path: string, method: string): unknown =>
          paths[path]?.[method]?.['x-gatehouse-scope'];
        expect({
          create: scopeOf('/api/orgs/{id}/projects', 'post'),
          list: scopeOf('/api/orgs/{id}/projects', 'get'),
          get: scopeOf('/api/orgs/{id}/projects/{projectId}', 'get'),
          update: scopeOf('/api/orgs/{id}/projects/{projectId}', 'patch'),
          remove: scopeOf('/api/orgs/{id}/projects/{projectId}', 'delete'),
        }).toEqual({
          create: 'projects:write',
          list: 'projects:read',
          get: 'projects:read',
          update: 'projects:write',
          remove: 'projects:write',
        });
      });
    });

    // A permission guard reads only the token: counted as the bench counts statements, at the database client.
    describe('the permission guards, which read no database', () => {
      let statements: StatementWatch;
      beforeAll(() => {
        statements = watchStatements(projects.app);
      });
      afterAll(() => statements?.stop());

      it('refuses an organization that is not the active one with 403, sending no statement at all', async () => {
        const caller = await projects.newCaller();
        const other = await projects.anotherOrgOf(caller);
        const stranger = await projects.newCaller();
        const sent = await statements.during(async () => {
          for (const [session, orgId] of [
            [caller, other],
            [stranger, projects.ownerOf(caller)],
          ] as const) {
            const responses = await projects.everyRoute(session, projects.collectionIn(orgId), randomUUID());
            expect(responses.map((response) => response.status)).toEqual([403, 403, 403, 403, 403]);
          }
        });
        expect(sent).toEqual([]);
        // The watch is not blind: a route that looks the membership up is seen doing it.
        const control = await statements.during(() =>
          projects.app.http().get(`/api/orgs/${other}`).set(bearer(caller)).expect(200),
        );
        expect(control.flatMap((statement) => tablesOf(statement.text))).toContain('org_memberships');
      });

      it('refuses a member lacking projects:write with 403, sending no statement at all', async () => {
        const owner = await projects.newCaller();
        const item = await projects.newItem(owner);
        const member = await projects.newMember(projects.ownerOf(owner), 'member');
        const sent = await statements.during(async () => {
          const responses = [
            await projects.create(member, { name: 'refused' }),
            await projects.patch(member, item.id, { name: 'refused' }),
            await projects.remove(member, item.id),
          ];
          expect(responses.map((response) => response.status)).toEqual([403, 403, 403]);
        });
        expect(sent).toEqual([]);
      });

      it('lets GET /api/orgs/:id/projects through with statements on projects alone: no membership, session or user read', async () => {
        const owner = await projects.newCaller();
        const item = await projects.newItem(owner);
        const member = await projects.newMember(projects.ownerOf(owner), 'member');
        const sent = await statements.during(async () => {
          const listed = await projects.list(member).expect(200);
          expect(listed.body).toEqual({ items: [item], total: 1 });
        });
        expect(sent.length).toBeGreaterThan(0);
        expect(sent.map((statement) => tablesOf(statement.text))).toEqual(sent.map(() => ['projects']));
        expect(sent.map((statement) => statement.text).join('\n')).not.toMatch(
          /org_memberships|organizations|sessions|users/,
        );
      });
    });
  },
);
