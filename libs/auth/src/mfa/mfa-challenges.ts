import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthMethod } from '../tokens/token-types';
import { MfaSecrets } from './mfa-secrets';

export const MFA_TOKEN_TTL_SECONDS = 300;
/** Codes checked against one challenge, right or wrong: the fifth is the last. */
const MAX_CODES_TRIED = 5;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** What a right password (or provider) proved, waiting for the second factor. */
export interface OpenChallenge {
  readonly id: string;
  readonly userId: string;
  readonly amr: readonly AuthMethod[];
  readonly credentialsVersion: number;
}

/** The answer to a first factor when a second is owed: no token, no cookie, only this. */
export interface IssuedChallenge {
  readonly mfaToken: string;
  readonly expiresIn: number;
}

/**
 * The step between the first factor and the second: an opaque `mfaToken` (stored hashed) that lives five
 * minutes, dies after five codes tried and is consumed once. It is no JWT, so no other route can take it.
 */
@Injectable()
export class MfaChallenges {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secrets: MfaSecrets,
  ) {}

  /** In the sign-in's transaction: the challenge exists only if the sign-in's checks all passed. */
  async issue(
    db: EntityManager,
    proof: { userId: string; credentialsVersion: number; amr: readonly AuthMethod[] },
  ): Promise<IssuedChallenge> {
    const mfaToken = randomBytes(32).toString('base64url');
    await db.query(
      `INSERT INTO mfa_challenges (user_id, token_hash, amr, credentials_version, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [
        proof.userId,
        this.secrets.tokenHash(mfaToken),
        [...proof.amr],
        proof.credentialsVersion,
        MFA_TOKEN_TTL_SECONDS,
      ],
    );
    return { mfaToken, expiresIn: MFA_TOKEN_TTL_SECONDS };
  }

  /**
   * A live challenge (not used, not expired, fewer than five codes tried), with this attempt already counted
   * against it, or undefined. Counting before the code is checked, in the one statement that finds the
   * challenge, is what holds the limit when many codes arrive at once.
   */
  async open(mfaToken: string): Promise<OpenChallenge | undefined> {
    if (!TOKEN_SHAPE.test(mfaToken)) return undefined;
    const [rows] = await this.dataSource.query<
      [{ id: string; user_id: string; amr: AuthMethod[]; credentials_version: number }[], number]
    >(
      `UPDATE mfa_challenges SET attempts = attempts + 1
        WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > now() AND attempts < $2
        RETURNING id, user_id, amr, credentials_version`,
      [this.secrets.tokenHash(mfaToken), MAX_CODES_TRIED],
    );
    const row = rows[0];
    return (
      row && { id: row.id, userId: row.user_id, amr: row.amr, credentialsVersion: row.credentials_version }
    );
  }

  /** Uses the challenge up; false when another request did first, or it died meanwhile. */
  async consume(id: string): Promise<boolean> {
    const [, updated] = await this.dataSource.query<[unknown, number]>(
      `UPDATE mfa_challenges SET consumed_at = now()
        WHERE id = $1 AND consumed_at IS NULL AND expires_at > now()`,
      [id],
    );
    return updated === 1;
  }
}
