import { NOT_ACTIVE } from '@gatehouse/auth';
import { ORG_ROLES } from '@gatehouse/orgs';
import { randomUUID } from 'node:crypto';
import { Response } from 'supertest';
import { decodeJwt, LoggedIn, signUp } from './auth-client';
import { DatabaseKind } from './databases';
import { expectNestError } from './expectations';
import { bearer, OrgClaim, ownOrg, switchOrg } from './orgs';
import { describeScopedCrud } from './scoped-crud';
import { Body, ScopedCrudOptions, ScopedItem, ScopedRoutes } from './scoped-routes';

/** What every organization-owned item answers besides its own fields. */
export type OrgItem = ScopedItem;
export type { Body };

export interface OrgScopedCrudOptions extends ScopedCrudOptions {
  /** The collection under an organization, e.g. `projects` for `/api/orgs/:id/projects`; its permissions are
   * `<collection>:read` and `<collection>:write`. */
  collection: string;
  /** The roles the feature grants each permission to (its grantPermissions): every role is held to them. */
  grants: { read: readonly string[]; write: readonly string[] };
}

/** The organization an access token makes active, if any. */
export const activeOrgOf = (session: LoggedIn) =>
  decodeJwt(session.accessToken).payload.org as OrgClaim | undefined;

/**
 * Requests to one organization-owned resource as a signed-in member, and the expectations built on them. A
 * caller works in their active organization (the access token's `org`) unless another collection is named.
 */
export class OrgScopedRoutes extends ScopedRoutes<OrgScopedCrudOptions> {
  readonly ownerWord = 'organization';
  readonly ownerColumn = 'organization_id';
  readonly ownerProperties = ['organizationId', 'organization_id'];

  get route(): string {
    return `/api/orgs/:id/${this.options.collection}`;
  }

  override get itemRoute(): string {
    return `${this.route}/:itemId`;
  }

  get readPermission(): string {
    return `${this.options.collection}:read`;
  }

  get writePermission(): string {
    return `${this.options.collection}:write`;
  }

  /** The collection of the organization `orgId`, whether or not it is the caller's active one. */
  collectionIn(orgId: string): string {
    return `/api/orgs/${orgId}/${this.options.collection}`;
  }

  ownerOf(session: LoggedIn): string {
    const org = activeOrgOf(session);
    if (!org) throw new Error(`${session.email} has no active organization`);
    return org.id;
  }

  collectionOf(session: LoggedIn): string {
    return this.collectionIn(this.ownerOf(session));
  }

  /** Signs up a user who owns a new organization, active in their access token: the caller of the common checks,
   * which the feature's grants let read and write. */
  async newCaller(): Promise<LoggedIn> {
    const session = await signUp(this.app);
    await ownOrg(this.app, session, `Org of ${session.email}`);
    return session;
  }

  /** Signs up a user, makes them a member of `orgId` with `role` (as accepting an invitation would), and makes
   * it their active organization. */
  async newMember(orgId: string, role: string): Promise<LoggedIn> {
    const session = await signUp(this.app);
    await this.join(orgId, session, role);
    await switchOrg(this.app, session, orgId);
    return session;
  }

  /** Makes `session`'s user a member of `orgId` with `role`, straight in the database; their token is unchanged. */
  async join(orgId: string, session: LoggedIn, role: string): Promise<void> {
    await this.app.query('INSERT INTO org_memberships (organization_id, user_id, role) VALUES ($1, $2, $3)', [
      orgId,
      session.userId,
      role,
    ]);
  }

  /** A second organization owned by `session`, which stays active in the one it had. */
  async anotherOrgOf(session: LoggedIn): Promise<string> {
    const made = await this.app
      .http()
      .post('/api/orgs')
      .set(bearer(session))
      .send({ name: `Another org of ${session.email}` });
    if (made.status !== 201) throw new Error(`making an organization failed: ${made.status}`);
    return made.body.id as string;
  }

  /** Every route of the collection at `collection` as `session`, `itemId` for the three item routes. */
  async everyRoute(session: LoggedIn | undefined, collection: string, itemId: string): Promise<Response[]> {
    const http = () => this.app.http();
    const auth = session ? bearer(session) : {};
    return [
      await http().get(collection).set(auth),
      await http().post(collection).set(auth).send(this.options.create('refused')),
      await http().get(`${collection}/${itemId}`).set(auth),
      await http()
        .patch(`${collection}/${itemId}`)
        .set(auth)
        .send(this.options.updates[0]?.[1] ?? this.options.create('refused')),
      await http().delete(`${collection}/${itemId}`).set(auth),
    ];
  }
}

const expectForbidden = (response: Response, message: string) => {
  expect(response.status).toBe(403);
  expectNestError(response.body, 403);
  expect(response.body.message).toBe(message);
};

/**
 * The checks every organization-owned CRUD resource under `/api/orgs/:id/<collection>` must pass, over HTTP on
 * both databases: those every scoped collection passes (test/support/scoped-crud.ts: CRUD by a member holding both
 * permissions, pagination, validation, another organization's item as missing as one that never existed, the
 * organization never taken from a body), then each role held to the feature's grants, and 403 for an
 * organization that is not the caller's active one. `more` adds the feature's own checks to the same suite and app.
 */
export function describeOrgScopedCrud(
  title: string,
  options: OrgScopedCrudOptions,
  more?: (routes: OrgScopedRoutes, kind: DatabaseKind) => void,
): void {
  describeScopedCrud(
    title,
    (app) => new OrgScopedRoutes(app, options),
    (routes, kind) => {
      describeActiveOrgChecks(routes);
      more?.(routes, kind);
    },
  );
}

function describeActiveOrgChecks(routes: OrgScopedRoutes): void {
  const { options, readPermission: read, writePermission: write } = routes;

  describe(`roles and the active organization at ${routes.route}`, () => {
    const roles = ORG_ROLES.map((role) => {
      const reads = options.grants.read.includes(role);
      const writes = options.grants.write.includes(role);
      const does = [reads ? 'reads' : '403 to reads', writes ? 'writes' : '403 to writes, writing nothing'];
      return [role, does.join(', '), reads, writes] as const;
    });
    it.each(roles)('a member whose role is %s: %s, as the grants say', async (role, _does, reads, writes) => {
      const owner = await routes.newCaller();
      const orgId = routes.ownerOf(owner);
      const item = await routes.newItem(owner, options.create('the owner’s'));
      const row = await routes.rowOf(item.id);
      const member = await routes.newMember(orgId, role);
      const claim = activeOrgOf(member)!;
      expect(claim.role).toBe(role);
      expect(claim.permissions.includes(read)).toBe(reads);
      expect(claim.permissions.includes(write)).toBe(writes);

      const listed = await routes.list(member);
      const got = await routes.get(member, item.id);
      if (reads) {
        expect(listed.status).toBe(200);
        expect(listed.body).toEqual({ items: [item], total: 1 });
        expect(got.status).toBe(200);
        expect(got.body).toEqual(item);
      } else {
        for (const response of [listed, got])
          expectForbidden(response, `your role (${role}) lacks the permission ${read}`);
      }

      if (writes) {
        // The member's item is the organization's: the owner reads it, and the member may change the owner's.
        const made = await routes.newItem(member, options.create('the member’s'));
        await routes.expectListed(owner, [made, item]);
        await routes.patch(member, item.id, options.updates[0][1]).expect(200);
        await routes.remove(member, made.id).expect(204);
        await routes.remove(member, item.id).expect(204);
        expect(await routes.countRowsOwnedBy(owner)).toBe(0);
      } else {
        const lacking = `your role (${role}) lacks the permission ${write}`;
        expectForbidden(await routes.create(member, options.create('refused')), lacking);
        expectForbidden(await routes.patch(member, item.id, options.updates[0][1]), lacking);
        expectForbidden(await routes.remove(member, item.id), lacking);
        expect(await routes.countRowsOwnedBy(owner)).toBe(1);
        expect(await routes.rowOf(item.id)).toEqual(row);
      }
    });

    it('answers 403 to every route of an organization the caller is in but has not made active, and writes nothing', async () => {
      const caller = await routes.newCaller();
      const other = await routes.anotherOrgOf(caller);
      const active = routes.ownerOf(caller);
      await switchOrg(routes.app, caller, other);
      const item = await routes.newItem(caller, options.create('in the other organization'));
      const row = await routes.rowOf(item.id);
      await switchOrg(routes.app, caller, active);

      const before = await routes.countRows();
      for (const response of await routes.everyRoute(caller, routes.collectionIn(other), item.id)) {
        expectForbidden(response, NOT_ACTIVE);
      }
      expect(await routes.countRows()).toBe(before);
      expect(await routes.rowOf(item.id)).toEqual(row);
      await switchOrg(routes.app, caller, other);
      await routes.expectListed(caller, [item]);
    });

    it('answers 403 to a caller outside the organization, with or without an active one of their own, and writes nothing', async () => {
      const owner = await routes.newCaller();
      const item = await routes.newItem(owner, options.create('not for strangers'));
      const row = await routes.rowOf(item.id);
      const outsiders = [await signUp(routes.app), await routes.newCaller()];
      const before = await routes.countRows();
      for (const outsider of outsiders) {
        for (const orgId of [routes.ownerOf(owner), randomUUID(), 'not-a-uuid']) {
          for (const response of await routes.everyRoute(outsider, routes.collectionIn(orgId), item.id)) {
            expectForbidden(response, NOT_ACTIVE);
          }
        }
      }
      expect(await routes.countRows()).toBe(before);
      expect(await routes.rowOf(item.id)).toEqual(row);
    });

    it('answers 404 to a member of two organizations asking through the active one for the other’s item', async () => {
      const owner = await routes.newCaller();
      const item = await routes.newItem(owner, options.create('the first organization’s'));
      const row = await routes.rowOf(item.id);
      const both = await routes.newCaller();
      await routes.join(routes.ownerOf(owner), both, 'owner');
      for (const response of [
        await routes.get(both, item.id),
        await routes.patch(both, item.id, options.updates[0][1]),
        await routes.remove(both, item.id),
      ]) {
        expect(response.status).toBe(404);
        expectNestError(response.body, 404);
      }
      expect(await routes.rowOf(item.id)).toEqual(row);
      await routes.expectUnchanged(owner, item);
    });

    it('deletes the items with their organization', async () => {
      const owner = await routes.newCaller();
      const other = await routes.newCaller();
      await routes.newItem(owner, options.create('goes'));
      const kept = await routes.newItem(other, options.create('stays'));
      await routes.app
        .http()
        .delete(`/api/orgs/${routes.ownerOf(owner)}`)
        .set(bearer(owner))
        .expect(204);
      expect(await routes.countRowsOwnedBy(owner)).toBe(0);
      await routes.expectListed(other, [kept]);
    });

    it('answers 401 without a token to every route, before the organization is looked at', async () => {
      const owner = await routes.newCaller();
      const item = await routes.newItem(owner);
      for (const orgId of [routes.ownerOf(owner), randomUUID()]) {
        for (const response of await routes.everyRoute(undefined, routes.collectionIn(orgId), item.id)) {
          expect(response.status).toBe(401);
          expectNestError(response.body, 401);
        }
      }
      await routes.expectUnchanged(owner, item);
    });
  });
}
