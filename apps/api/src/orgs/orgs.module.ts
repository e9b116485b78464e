import { OrgsModule as OrganizationsModule } from '@gatehouse/orgs';
import { Module } from '@nestjs/common';
import { InvitationRepliesController } from './invitation-replies.controller';
import { InvitationsController } from './invitations.controller';
import { MembersController } from './members.controller';
import { OrgsController } from './orgs.controller';

@Module({
  imports: [OrganizationsModule],
  controllers: [OrgsController, MembersController, InvitationsController, InvitationRepliesController],
})
export class OrgsRoutesModule {}
