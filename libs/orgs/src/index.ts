export { Membership } from './entities/membership.entity';
export { Organization } from './entities/organization.entity';
export { grantPermissions, isOrgRole, ORG_ROLES, permissionsOf, roleAllows } from './org-roles';
export type { OrgRole } from './org-roles';
export { Organizations } from './organizations.service';
export type { MemberView } from './organizations.service';
export { OrgsModule } from './orgs.module';
