import { Module } from '@nestjs/common';
import { RateLimitStorage } from './throttler-storage';

/** Lets the throttler's options factory inject the storage, and lets Nest close its Redis connection. */
@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
export class RateLimitStorageModule {}
