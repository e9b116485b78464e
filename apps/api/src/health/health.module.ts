import { AuthModule } from '@gatehouse/auth';
import { MailModule } from '@gatehouse/mail';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { Readiness } from './readiness';
import { ShutdownState } from './shutdown-state';

@Module({
  // Terminus would log every failed probe at error level, with its details: the probe's answer says enough.
  imports: [TerminusModule.forRoot({ logger: false }), AuthModule, MailModule],
  controllers: [HealthController],
  providers: [Readiness, ShutdownState],
})
export class HealthModule {}
