import { ParsedMail } from 'mailparser';
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, LoggedIn, login, PASSWORD, refreshCookie, uniqueEmail } from './auth-client';
import { TestMailbox } from './mailbox';
import { APP_URL } from './oauth-flow';
import { bearer, ownOrg, switchOrg } from './orgs';
import { SoftAuthenticator } from './soft-authenticator';
import { TestApp } from './test-app';
import { enrolTotp, wrongCode } from './totp';
import { signUpVerified } from './verified-sign-up';

const INVITATION_LINK = new RegExp(`^${APP_URL.replace(/\./g, '\\.')}/#invitation=([A-Za-z0-9_-]{43})$`, 'm');

/** What an account's owner holds: a session's access token and refresh cookie. */
export interface Held {
  accessToken: string;
  cookie: string;
}

/** A user with every kind of data Gatehouse keeps, and a colleague who shares an organization with them. */
export interface UserWithEverything {
  /** Signed in with the password; the session that made everything below. */
  user: LoggedIn;
  /** Every session of the user: the first, one revoked when TOTP went on, one signed in with the passkey. */
  sessions: Held[];
  apiKey: string;
  totpSecret: string;
  recoveryCodes: string[];
  noteTitles: string[];
  /** An organization with the user as its only member (and a project in it). */
  soleOrgId: string;
  /** The colleague's organization, where the user is an admin. */
  sharedOrgId: string;
  /** Another organization of the colleague's, which invited the user's address (pending). */
  invitingOrgId: string;
  /** Someone the user invited to the shared organization (pending, `invited_by` the user). */
  invitedByUser: string;
  colleague: LoggedIn;
  colleagueNoteTitle: string;
}

/** The session id (`sid`) an access token belongs to. */
export const sessionOf = (accessToken: string) => decodeJwt(accessToken).payload.sid as string;

/** The user's session with a fresh sign-in (`auth_time` now): what routes marked *recent* need. */
export async function reauthenticated(app: TestApp, session: Held): Promise<Held> {
  const response = await app
    .http()
    .post('/api/auth/reauthenticate')
    .set('Authorization', `Bearer ${session.accessToken}`)
    .send({ password: PASSWORD });
  if (response.status !== 200) throw new Error(`reauthenticate failed: ${response.status}`);
  return { accessToken: response.body.accessToken as string, cookie: session.cookie };
}

/** The token of the newest invitation link mailed to `email` that `seen` does not hold yet. */
export async function invitationToken(mailbox: TestMailbox, email: string, seen: Set<string>) {
  const tokenIn = (mail: ParsedMail) => INVITATION_LINK.exec(mail.text ?? '')?.[1];
  const mail = await mailbox.waitFor((m) => {
    const token = tokenIn(m);
    return JSON.stringify(m.to ?? '').includes(email) && token !== undefined && !seen.has(token);
  }, 10_000);
  const token = tokenIn(mail)!;
  seen.add(token);
  return token;
}

/** Sends a request as `session`, failing the test with the answer when it is not `status`. */
async function expectStatus<T = Record<string, unknown>>(
  request: Promise<{ status: number; body: unknown }>,
  status: number,
  what: string,
): Promise<T> {
  const response = await request;
  if (response.status !== status)
    throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as T;
}

/**
 * Makes a user with every kind of data the app keeps: sessions (one revoked), a passkey and a pending passkey
 * challenge, TOTP on with recovery codes, a pending second-factor challenge and a wrong code, an API key (used
 * once), notes, an organization of their own with a project, an admin membership in a colleague's organization
 * where they invited someone, a pending invitation to their address, a provider identity and a provider link
 * flow (inserted: the provider's dance is another suite's), a pending password reset, and mail to their address.
 * The app must have APP_URL set (passkeys) and send mail to `mailbox`.
 */
export async function userWithEverything(
  app: TestApp,
  mailbox: TestMailbox,
  seenInvitations = new Set<string>(),
): Promise<UserWithEverything> {
  const http = () => app.http();
  const user = await signUpVerified(app, uniqueEmail('leaving'), mailbox);
  const sessions: Held[] = [user];
  const signedInAgain = await login(app, user.email);
  sessions.push(signedInAgain);

  // The ways in and factors first, while the sign-in is recent.
  const authenticator = new SoftAuthenticator();
  const options = await expectStatus<Parameters<SoftAuthenticator['create']>[0]>(
    http().post('/api/auth/passkeys/register/options').set(bearer(user)),
    200,
    'passkey options',
  );
  await expectStatus(
    http()
      .post('/api/auth/passkeys/register')
      .set(bearer(user))
      .send({ credential: authenticator.create(options, APP_URL), name: 'Laptop' }),
    201,
    'passkey',
  );
  await expectStatus(
    http().post('/api/auth/passkeys/register/options').set(bearer(user)),
    200,
    'a passkey challenge left pending',
  );
  const { key: apiKey } = await expectStatus<{ key: string }>(
    http()
      .post('/api/auth/api-keys')
      .set(bearer(user))
      .send({ name: 'export script', scopes: ['notes:read'] }),
    201,
    'api key',
  );
  await expectStatus(http().get('/api/notes').set('Authorization', `Bearer ${apiKey}`), 200, 'the key used');
  const totp = await enrolTotp(app, user);

  // A second factor owed at a sign-in (left pending), a wrong code, and a session started with the passkey.
  const owed = await expectStatus<{ mfaToken: string }>(
    http().post('/api/auth/login').send({ email: user.email, password: PASSWORD }),
    200,
    'login with TOTP on',
  );
  await expectStatus(
    http()
      .post('/api/auth/mfa/verify')
      .send({ mfaToken: owed.mfaToken, code: wrongCode(totp.secret) }),
    401,
    'a wrong code',
  );
  const assertionOptions = await expectStatus<Parameters<SoftAuthenticator['get']>[0]>(
    http().post('/api/auth/passkeys/login/options'),
    200,
    'passkey sign-in options',
  );
  const withPasskey = await http()
    .post('/api/auth/passkeys/login')
    .send({ credential: authenticator.get(assertionOptions, APP_URL) });
  if (withPasskey.status !== 200) throw new Error(`passkey sign-in: ${withPasskey.status}`);
  sessions.push({ accessToken: withPasskey.body.accessToken, cookie: refreshCookie(withPasskey)! });

  const noteTitles = [`first note of ${user.email}`, `second note of ${user.email}`];
  for (const title of noteTitles) {
    await expectStatus(
      http().post('/api/notes').set(bearer(user)).send({ title, body: 'mine' }),
      201,
      'note',
    );
  }

  // Organizations: one of the user's own, with a project; the colleague's, where the user is an admin.
  const colleague = await signUpVerified(app, uniqueEmail('colleague'), mailbox);
  const colleagueNoteTitle = `the colleague's note ${randomUUID()}`;
  await expectStatus(
    http().post('/api/notes').set(bearer(colleague)).send({ title: colleagueNoteTitle }),
    201,
    "the colleague's note",
  );
  const sole = await ownOrg(app, user, `Alone ${randomUUID().slice(0, 8)}`);
  await expectStatus(
    http().post(`/api/orgs/${sole.id}/projects`).set(bearer(user)).send({ name: 'a project of its own' }),
    201,
    'project',
  );
  const shared = await ownOrg(app, colleague, `Shared ${randomUUID().slice(0, 8)}`);
  await expectStatus(
    http()
      .post(`/api/orgs/${shared.id}/invitations`)
      .set(bearer(colleague))
      .send({ email: user.email, role: 'admin' }),
    201,
    'invite the user',
  );
  const token = await invitationToken(mailbox, user.email, seenInvitations);
  await expectStatus(http().post('/api/invitations/accept').set(bearer(user)).send({ token }), 200, 'accept');
  await switchOrg(app, user, shared.id);
  const invitedByUser = uniqueEmail('newcomer');
  await expectStatus(
    http()
      .post(`/api/orgs/${shared.id}/invitations`)
      .set(bearer(user))
      .send({ email: invitedByUser, role: 'member' }),
    201,
    'the user invites',
  );
  const inviting = await ownOrg(app, colleague, `Inviting ${randomUUID().slice(0, 8)}`);
  await expectStatus(
    http()
      .post(`/api/orgs/${inviting.id}/invitations`)
      .set(bearer(colleague))
      .send({ email: user.email, role: 'member' }),
    201,
    'a pending invitation',
  );
  await switchOrg(app, colleague, shared.id);

  // A provider identity and a link flow in progress, as the provider flows store them.
  await app.query(
    `INSERT INTO user_identities (user_id, provider, issuer, subject, email, email_verified)
     VALUES ($1, 'corp', 'https://id.example.com', $2, $3, true)`,
    [user.userId, randomUUID(), user.email],
  );
  await app.query(
    `INSERT INTO oauth_transactions
       (provider, state, nonce, code_verifier, return_to, link_user_id, link_session_id, expires_at)
     VALUES ('corp', $1, $2, $3, '/', $4, $5, now() + interval '10 minutes')`,
    [
      randomBytes(16).toString('hex'),
      randomBytes(16).toString('hex'),
      randomBytes(32).toString('base64url'),
      user.userId,
      sessionOf(user.accessToken),
    ],
  );
  // A reset link waiting in the user's mail.
  await expectStatus(
    http().post('/api/auth/password/forgot').send({ email: user.email }),
    202,
    'password forgotten',
  );

  return {
    user,
    sessions,
    apiKey,
    totpSecret: totp.secret,
    recoveryCodes: totp.recoveryCodes,
    noteTitles,
    soleOrgId: sole.id,
    sharedOrgId: shared.id,
    invitingOrgId: inviting.id,
    invitedByUser,
    colleague,
    colleagueNoteTitle,
  };
}
