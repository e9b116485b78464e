import { AuditModule, Webhooks } from '@gatehouse/audit';
import { MailModule } from '@gatehouse/mail';
import { registerExpiringRecords } from '@gatehouse/database';
import { registerUserDataWith, UsersModule } from '@gatehouse/users';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MembershipChangeRecord } from './entities/membership-change.entity';
import { Membership } from './entities/membership.entity';
import { Organization } from './entities/organization.entity';
import { OrgInvitation } from './invitations/entities/invitation.entity';
import { Invitations } from './invitations/invitations.service';
import { Members } from './members.service';
import { MembershipChangeLog } from './membership-changes';
import { membershipData } from './membership-data';
import { Organizations } from './organizations.service';

/**
 * Organizations, their members and the roles' permissions; knows nothing of tokens or sessions. What auth needs
 * of it at refresh, and to stop stale access tokens, is the role registry and the log of membership changes.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Organization, Membership, MembershipChangeRecord, OrgInvitation]),
    MailModule,
    AuditModule,
    UsersModule,
  ],
  providers: [
    Organizations,
    Members,
    MembershipChangeLog,
    Invitations,
    // A user's memberships and the invitations addressed to them: exported with the account, erased with it.
    registerUserDataWith([MembershipChangeLog, Webhooks], membershipData),
    registerExpiringRecords([], () => [
      { table: 'org_invitations', key: 'id', column: 'expires_at' },
      // A membership change matters while a token issued before it may live: a day covers any lifetime.
      { table: 'org_membership_changes', key: 'id', column: 'changed_at', keptFor: 86_400 },
    ]),
  ],
  exports: [Organizations, Members, MembershipChangeLog, Invitations],
})
export class OrgsModule {}
