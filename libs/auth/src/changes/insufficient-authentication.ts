import { UnauthorizedException } from '@nestjs/common';

/**
 * RFC 9470's answer to a caller whose sign-in does not meet a route's demand (too old, or without a second
 * factor): 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication"`, and `max_age` when the
 * sign-in was too old. The global error filter copies `headers` onto the response.
 */
export class InsufficientAuthenticationException extends UnauthorizedException {
  readonly headers: Readonly<Record<string, string>>;

  constructor(description: string, maxAgeSeconds?: number) {
    super(description);
    const params = ['error="insufficient_user_authentication"', `error_description="${description}"`];
    if (maxAgeSeconds !== undefined) params.push(`max_age=${maxAgeSeconds}`);
    this.headers = { 'WWW-Authenticate': `Bearer ${params.join(', ')}` };
  }
}

export const SIGN_IN_TOO_OLD = 'a recent sign-in is required: reauthenticate';

/** Whether the caller's sign-in (`auth_time`) is at most `maxAgeSeconds` old. */
export function isRecentSignIn(authTime: number, maxAgeSeconds: number, nowMs = Date.now()): boolean {
  return authTime > 0 && Math.floor(nowMs / 1000) - authTime <= maxAgeSeconds;
}
