export { MembershipChangeRecord } from './entities/membership-change.entity';
export { Membership } from './entities/membership.entity';
export { Organization } from './entities/organization.entity';
export { DEAD_INVITATION, INVITATION_NOT_FOUND, Invitations } from './invitations/invitations.service';
export type { InvitationView } from './invitations/invitations.service';
export { Members, MEMBER_NOT_FOUND } from './members.service';
export type { Member } from './members.service';
export {
  MEMBERSHIP_CHANNEL,
  MembershipChangeLog,
  parseMembershipNotice,
  recordMembershipChanges,
} from './membership-changes';
export type { MembershipChange } from './membership-changes';
export { membershipOf, NOT_FOUND, roleIn } from './membership-of';
export type { MembershipRow } from './membership-of';
export { grantPermissions, isOrgRole, ORG_ROLES, permissionsOf, roleAllows } from './org-roles';
export type { OrgRole } from './org-roles';
export { Organizations } from './organizations.service';
export type { MemberView } from './organizations.service';
export { OrgsModule } from './orgs.module';
