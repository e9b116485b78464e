import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

export const CHALLENGE_TTL_SECONDS = 300;

export type CeremonyPurpose = 'register' | 'login' | 'reauth';

/**
 * The challenges of WebAuthn ceremonies, issued by the server: a browser's answer names its challenge in
 * `clientDataJSON`, and the challenge is deleted before the answer is verified, so it is good for one answer.
 */
@Injectable()
export class PasskeyChallenges {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async issue(purpose: CeremonyPurpose, userId: string | null): Promise<string> {
    const challenge = randomBytes(32).toString('base64url');
    await this.dataSource.query(
      `INSERT INTO webauthn_challenges (purpose, user_id, challenge, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [purpose, userId, challenge, CHALLENGE_TTL_SECONDS],
    );
    return challenge;
  }

  /**
   * Uses the challenge up: true when it was issued for this purpose (and this user, for a registration or a reauthentication) and is
   * still alive. One `DELETE … RETURNING` decides, so two answers to one challenge get one `true`.
   */
  async take(purpose: CeremonyPurpose, challenge: string, userId: string | null): Promise<boolean> {
    const [rows] = await this.dataSource.query<[{ live: boolean }[], number]>(
      `DELETE FROM webauthn_challenges
        WHERE challenge = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3
        RETURNING expires_at > now() AS live`,
      [challenge, purpose, userId],
    );
    return rows[0]?.live === true;
  }
}
