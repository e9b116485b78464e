import { ForbiddenException } from '@nestjs/common';

/**
 * RFC 6750 §3.1's answer to a credential that is valid but may not reach the route: 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope"`, naming the scope that would (none, for a route that no
 * machine credential may reach). The global error filter copies `headers` onto the response.
 */
export class InsufficientScopeException extends ForbiddenException {
  readonly headers: Readonly<Record<string, string>>;

  constructor(description: string, scope?: string) {
    super(description);
    const params = ['error="insufficient_scope"', `error_description="${description}"`];
    if (scope !== undefined) params.push(`scope="${scope}"`);
    this.headers = { 'WWW-Authenticate': `Bearer ${params.join(', ')}` };
  }
}
