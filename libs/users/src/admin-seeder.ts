import { AppConfig } from '@gatehouse/config';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { UsersService } from './users.service';

/** Creates the ADMIN_EMAIL user with roles admin and user at start, when it does not exist yet. */
@Injectable()
export class AdminSeeder implements OnApplicationBootstrap {
  private readonly log = new Logger(AdminSeeder.name);

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin || (await this.users.findByEmail(admin.email))) return;
    try {
      const user = await this.users.create({
        email: admin.email,
        password: admin.password,
        roles: ['admin', 'user'],
      });
      this.log.log({ event: 'admin.created', userId: user.id }, 'Created the ADMIN_EMAIL user');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`ADMIN_PASSWORD was refused by the password policy: ${reason}`);
    }
  }
}
