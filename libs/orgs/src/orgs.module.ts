import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Membership } from './entities/membership.entity';
import { Organization } from './entities/organization.entity';
import { Organizations } from './organizations.service';

/** Organizations, their members and the roles' permissions; knows nothing of tokens or sessions. */
@Module({
  imports: [TypeOrmModule.forFeature([Organization, Membership])],
  providers: [Organizations],
  exports: [Organizations],
})
export class OrgsModule {}
