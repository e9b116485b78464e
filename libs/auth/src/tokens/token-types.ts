/** The JOSE `typ` of each kind of token: a token of one kind is never accepted where the other is expected. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const REFRESH_TOKEN_TYPE = 'refresh+jwt';
export const REFRESH_ALGORITHM = 'HS256';

/**
 * How a user proved who they are: RFC 8176 `amr` values. `pwd` password, `fed` a federated provider, `otp` an
 * authenticator-app code, `hwk` a hardware-bound key (passkey), `user` user presence and verification, `mfa`
 * more than one factor.
 */
export type AuthMethod = 'pwd' | 'fed' | 'otp' | 'hwk' | 'user' | 'mfa';

/** What a session remembers of the sign-in that started it, and every access token of it carries. */
export interface SignInFacts {
  readonly amr: readonly AuthMethod[];
  readonly authTime: Date;
  /** The thumbprint of the key the session is bound to (DPoP): its access tokens carry it as `cnf.jkt`. */
  readonly jkt?: string;
  /** The session's active organization and the member's role in it, as the refresh that chose it read them. */
  readonly org?: { readonly id: string; readonly role: string };
}

/** The active organization an access token carries (`org`): the member's role and that role's permissions. */
export interface ActiveOrg {
  readonly id: string;
  readonly role: string;
  readonly permissions: readonly string[];
}

/**
 * A credential that is not a user's own session, with the scopes it was given: an API key acting for its user,
 * or a service client (OAuth client credentials) acting for no one.
 */
export type MachineCredential =
  | { readonly kind: 'apiKey'; readonly keyId: string; readonly scopes: readonly string[] }
  | { readonly kind: 'client'; readonly clientId: string; readonly scopes: readonly string[] };

/** Who is calling, as the bearer access token says: all a guarded route needs, with no database read. */
export interface AuthUser {
  /** The user id (`sub`); a service client's `client_id` for a client token (no route that needs a user sees it). */
  readonly id: string;
  /**
   * The session, i.e. refresh-token family (`sid`). For a machine credential, the id that revokes it (the API key's
   * id, the client's `client_id`): the guard checks either against the same revocation set.
   */
  readonly sessionId: string;
  readonly roles: readonly string[];
  /** How the session's sign-in was proven (RFC 8176): a second factor shows as `mfa`. */
  readonly amr: readonly AuthMethod[];
  /** When the session's sign-in was last proven (`auth_time`, seconds since the epoch); 0 when the token has none. */
  readonly authTime: number;
  /** `cnf.jkt`: the token is bound to this key, and good only with a DPoP proof signed by it. */
  readonly jkt?: string;
  /** Set for an API key or a service client; absent for a user's own session, which holds every scope. */
  readonly credential?: MachineCredential;
  /** The active organization, chosen at a refresh; routes under `/api/orgs/:id/…` need it to be `:id`. */
  readonly org?: ActiveOrg;
}

/** What a verified refresh token says, plus its raw text (to compare its hash with the stored one). */
export interface RefreshClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly tokenId: string;
  readonly token: string;
  /** Where the token came from: the HttpOnly cookie, or a native client's JSON body (bound sessions only). */
  readonly source?: 'cookie' | 'body';
}
