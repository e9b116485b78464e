import { AppConfig } from '@gatehouse/config';
import { ConflictException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PasswordService } from './password.service';
import { UsersService } from './users.service';

/** Creates the ADMIN_EMAIL user with roles admin and user at start, when it does not exist yet. */
@Injectable()
export class AdminSeeder implements OnApplicationBootstrap {
  private readonly log = new Logger(AdminSeeder.name);

  constructor(
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin || (await this.users.findByEmail(admin.email))) return;
    const refusal = this.passwords.policyViolation(admin.password);
    if (refusal) throw new Error(`ADMIN_PASSWORD is refused: ${refusal}`);
    let user;
    try {
      user = await this.users.create({
        email: admin.email,
        password: admin.password,
        roles: ['admin', 'user'],
        // Whoever sets ADMIN_EMAIL owns it: the administrator may add factors at once.
        emailVerified: true,
      });
    } catch (error) {
      // Another instance starting at the same moment created it first.
      if (error instanceof ConflictException) return;
      throw error;
    }
    this.log.log({ event: 'admin.created', userId: user.id }, 'Created the ADMIN_EMAIL user');
  }
}
