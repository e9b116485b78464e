import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

/** `<resource>:<action>`, lower case: what RFC 6749 allows in a scope token, and nothing a header must escape. */
const SCOPE_NAME = /^[a-z][a-z0-9_-]{0,39}:[a-z][a-z0-9_-]{0,39}$/;

const registry = new Map<string, string>();

/**
 * Declares a feature's scopes, with the sentence an API key's owner reads when choosing them. Called at the top of
 * the file that declares the feature's routes, so a route can only name a scope its feature declared: the one
 * registry `GET /api/auth/scopes`, API keys and service clients all read.
 */
export function defineScopes<const T extends Record<string, string>>(scopes: T): T {
  for (const [scope, description] of Object.entries(scopes)) {
    if (!SCOPE_NAME.test(scope)) throw new Error(`scope "${scope}" must look like "notes:read"`);
    const known = registry.get(scope);
    if (known !== undefined && known !== description) throw new Error(`scope "${scope}" is declared twice`);
    registry.set(scope, description);
  }
  return scopes;
}

/** Every declared scope, sorted by name. */
export function declaredScopes(): { scope: string; description: string }[] {
  return [...registry]
    .map(([scope, description]) => ({ scope, description }))
    .sort((a, b) => (a.scope < b.scope ? -1 : 1));
}

export function isDeclaredScope(scope: string): boolean {
  return registry.has(scope);
}

/**
 * Which machine credentials may reach a route. Absent (the default): none; a user's own session reaches every
 * route it otherwise may.
 * - `scope`: an API key or a service client holding that scope, acting for a user (a client token has none, so it
 *   is refused: such routes need a user);
 * - `anyCredential`: any valid credential, a service client's included (who-am-I).
 */
export type MachineAccess = { readonly scope: string } | { readonly anyCredential: true };

export const MACHINE_ACCESS = 'gatehouse:machine-access';

/** OpenAPI extension naming a route's scope, so the document tells a key's owner what it needs. */
export const OPENAPI_SCOPE_MARK = 'x-gatehouse-scope';

/**
 * Opens a route to API keys and service clients that hold `scope`, acting for a user. Routes without it stay
 * closed to machine credentials: sign-in management and admin routes never carry it.
 */
export function RequiresScope(scope: string): MethodDecorator & ClassDecorator {
  if (!registry.has(scope)) throw new Error(`scope "${scope}" is used before defineScopes declared it`);
  return applyDecorators(
    SetMetadata(MACHINE_ACCESS, { scope } satisfies MachineAccess),
    ApiExtension(OPENAPI_SCOPE_MARK, scope),
  );
}

/** Opens a route to every valid credential, a service client's included. For routes that only say who calls. */
export const AnyCredential = (): MethodDecorator =>
  SetMetadata(MACHINE_ACCESS, { anyCredential: true } satisfies MachineAccess);
