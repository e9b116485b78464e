import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuthorizationSecrets } from './sign-in-provider';

/** How long a browser has between `start` and `callback`. */
export const LOGIN_TRANSACTION_TTL_SECONDS = 600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 32 random bytes, base64url: unguessable, and a valid PKCE verifier (43 characters). */
function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface NewLoginTransaction {
  provider: string;
  returnTo: string;
  usesNonce: boolean;
  /** A link flow: the user (and their session) the identity will be attached to. */
  link?: { userId: string; sessionId: string };
  /** The thumbprint of the key the session is to be bound to (`dpop_jkt` at start, RFC 9449 §10). */
  dpopJkt?: string;
}

export interface LoginTransaction extends AuthorizationSecrets {
  readonly id: string;
  readonly provider: string;
  readonly returnTo: string;
  readonly link?: { readonly userId: string; readonly sessionId: string };
  readonly dpopJkt?: string;
}

interface TransactionRow {
  id: string;
  provider: string;
  state: string;
  nonce: string | null;
  code_verifier: string;
  return_to: string;
  link_user_id: string | null;
  link_session_id: string | null;
  dpop_jkt: string | null;
}

/** The state between `start` and `callback`, in the database so that any instance may finish the flow. */
@Injectable()
export class LoginTransactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Fresh secrets for a flow: made before anything is stored, so that a provider that is down stores nothing. */
  secrets(usesNonce: boolean): AuthorizationSecrets {
    return {
      state: randomSecret(),
      nonce: usesNonce ? randomSecret() : undefined,
      codeVerifier: randomSecret(),
    };
  }

  async store(transaction: NewLoginTransaction, secrets: AuthorizationSecrets): Promise<string> {
    const [row] = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO oauth_transactions
         (provider, state, nonce, code_verifier, return_to, link_user_id, link_session_id, dpop_jkt, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
       RETURNING id`,
      [
        transaction.provider,
        secrets.state,
        secrets.nonce ?? null,
        secrets.codeVerifier,
        transaction.returnTo,
        transaction.link?.userId ?? null,
        transaction.link?.sessionId ?? null,
        transaction.dpopJkt ?? null,
        LOGIN_TRANSACTION_TTL_SECONDS,
      ],
    );
    return row.id;
  }

  /** The transaction, removed in the same statement: a second callback with it (on any instance) finds nothing. */
  async consume(id: string | undefined): Promise<LoginTransaction | undefined> {
    if (id === undefined || !UUID.test(id)) return undefined;
    // UPDATE and DELETE answer [rows, count] through TypeORM's PostgreSQL drivers.
    const [[row]] = await this.dataSource.query<[TransactionRow[], number]>(
      `DELETE FROM oauth_transactions WHERE id = $1 AND expires_at > now()
       RETURNING id, provider, state, nonce, code_verifier, return_to, link_user_id, link_session_id, dpop_jkt`,
      [id],
    );
    if (!row) return undefined;
    return {
      id: row.id,
      provider: row.provider,
      state: row.state,
      nonce: row.nonce ?? undefined,
      codeVerifier: row.code_verifier,
      returnTo: row.return_to,
      link:
        row.link_user_id && row.link_session_id
          ? { userId: row.link_user_id, sessionId: row.link_session_id }
          : undefined,
      dpopJkt: row.dpop_jkt ?? undefined,
    };
  }
}
