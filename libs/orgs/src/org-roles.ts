/** The roles every organization knows, most powerful first. */
export const ORG_ROLES = ['owner', 'admin', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** `<resource>:<action>`, as scopes are written. */
const PERMISSION_NAME = /^[a-z][a-z0-9_-]{0,39}:[a-z][a-z0-9_-]{0,39}$/;

const granted = new Map<string, Set<OrgRole>>();
// Every access token with an active organization lists its role's permissions: worked out once per role.
const permissionsByRole = new Map<string, readonly string[]>();

/**
 * Gives permissions to roles: the one place an organization's rules are written. The organization's own are
 * granted below; a feature grants its own where it declares its routes, as it declares its scopes.
 */
export function grantPermissions(grants: Readonly<Record<string, readonly OrgRole[]>>): void {
  for (const [permission, roles] of Object.entries(grants)) {
    if (!PERMISSION_NAME.test(permission))
      throw new Error(`permission "${permission}" must look like "org:update"`);
    if (granted.has(permission)) throw new Error(`permission "${permission}" is granted twice`);
    granted.set(permission, new Set(roles));
  }
  permissionsByRole.clear();
}

grantPermissions({
  'org:update': ['owner', 'admin'],
  'org:delete': ['owner'],
  'members:invite': ['owner', 'admin'],
  'members:update': ['owner', 'admin'],
  'members:remove': ['owner', 'admin'],
});

export function isOrgRole(role: string): role is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(role);
}

export function roleAllows(role: string, permission: string): boolean {
  return isOrgRole(role) && (granted.get(permission)?.has(role) ?? false);
}

/** Every permission the role holds, sorted. */
export function permissionsOf(role: string): readonly string[] {
  let permissions = permissionsByRole.get(role);
  if (permissions === undefined) {
    permissions = Object.freeze(
      [...granted]
        .filter(([, roles]) => isOrgRole(role) && roles.has(role))
        .map(([name]) => name)
        .sort(),
    );
    if (isOrgRole(role)) permissionsByRole.set(role, permissions);
  }
  return permissions;
}
