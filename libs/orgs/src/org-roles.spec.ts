import { grantPermissions, isOrgRole, permissionsOf, roleAllows } from './org-roles';

describe('organization roles', () => {
  it('gives the organization’s own permissions: owners everything, admins all but deletion, members none', () => {
    expect(permissionsOf('owner')).toEqual([
      'members:invite',
      'members:remove',
      'members:update',
      'org:delete',
      'org:update',
    ]);
    expect(permissionsOf('admin')).toEqual([
      'members:invite',
      'members:remove',
      'members:update',
      'org:update',
    ]);
    expect(permissionsOf('member')).toEqual([]);
    expect(roleAllows('admin', 'org:delete')).toBe(false);
    expect(roleAllows('owner', 'org:delete')).toBe(true);
  });

  it('lets a feature grant its own permissions, once, in the one registry', () => {
    grantPermissions({ 'widgets:read': ['owner', 'admin', 'member'], 'widgets:write': ['owner', 'admin'] });
    expect(roleAllows('member', 'widgets:read')).toBe(true);
    expect(roleAllows('member', 'widgets:write')).toBe(false);
    expect(() => grantPermissions({ 'widgets:read': ['owner'] })).toThrow(/granted twice/);
    expect(() => grantPermissions({ 'Widgets Read': ['owner'] })).toThrow(/must look like/);
  });

  it('knows no other role, and grants nothing to one', () => {
    expect(isOrgRole('superuser')).toBe(false);
    expect(roleAllows('superuser', 'org:update')).toBe(false);
    expect(permissionsOf('superuser')).toEqual([]);
  });
});
