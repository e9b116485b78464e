import { OrgsModule as OrganizationsModule } from '@gatehouse/orgs';
import { Module } from '@nestjs/common';
import { OrgsController } from './orgs.controller';

@Module({ imports: [OrganizationsModule], controllers: [OrgsController] })
export class OrgsRoutesModule {}
