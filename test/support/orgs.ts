import { HttpTarget, LoggedIn, refreshCookie } from './auth-client';

/** What an access token says of its active organization. */
export interface OrgClaim {
  id: string;
  role: string;
  permissions: string[];
}

export const bearer = (session: LoggedIn) => ({ Authorization: `Bearer ${session.accessToken}` });

/**
 * Makes `organizationId` (or none, with null) the session's active organization: a refresh that names it. The
 * session's access token and cookie are replaced in place by the new ones; the response is returned.
 */
export async function switchOrg(app: HttpTarget, session: LoggedIn, organizationId: string | null) {
  const response = await app
    .http()
    .post('/api/auth/refresh')
    .set('Cookie', session.cookie)
    .send({ organizationId });
  if (response.status !== 200)
    throw new Error(`switching organization failed: ${response.status} ${JSON.stringify(response.body)}`);
  session.accessToken = response.body.accessToken;
  session.cookie = refreshCookie(response)!;
  return response;
}

/** Makes a new organization owned by `session`, and makes it the session's active one. */
export async function ownOrg(app: HttpTarget, session: LoggedIn, name = `Org ${Date.now()}`) {
  const made = await app.http().post('/api/orgs').set(bearer(session)).send({ name });
  if (made.status !== 201) throw new Error(`making an organization failed: ${made.status}`);
  await switchOrg(app, session, made.body.id);
  return made.body as { id: string; name: string; createdAt: string; role: string };
}
