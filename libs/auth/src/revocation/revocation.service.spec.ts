import { AppConfig, loadConfig } from '@gatehouse/config';
import { Test, TestingModule } from '@nestjs/testing';
import { RevocationService } from './revocation.service';

describe('RevocationService', () => {
  let module: TestingModule;
  let service: RevocationService;

  beforeAll(async () => {
    module = await Test.createTestingModule({
      providers: [
        RevocationService,
        { provide: AppConfig, useValue: loadConfig({ ACCESS_TOKEN_TTL: '60', CLIENT_TOKEN_TTL: '30' }) },
      ],
    }).compile();
    service = module.get(RevocationService);
  });
  // Closing the module runs onModuleDestroy, which stops the sweeper's timer.
  afterAll(() => module.close());

  it('refuses a session once it is revoked', () => {
    service.add(['a']);
    expect(service.isRevoked('a')).toBe(true);
    expect(service.isRevoked('b')).toBe(false);
  });

  it('refuses a token claiming a role its user no longer holds in the organization, and only that', () => {
    service.changeMembership('org-1', 'user-1', 'member', new Date());
    expect(service.holdsRole('org-1', 'user-1', 'admin')).toBe(false);
    expect(service.holdsRole('org-1', 'user-1', 'member')).toBe(true);
    expect(service.holdsRole('org-2', 'user-1', 'admin')).toBe(true);
    service.changeMembership('org-1', 'user-2', null, new Date());
    expect(service.holdsRole('org-1', 'user-2', 'member')).toBe(false);
  });

  it('keeps the later of two membership changes, whichever is heard first', () => {
    const now = Date.now();
    service.changeMembership('org-3', 'user-1', null, new Date(now));
    service.changeMembership('org-3', 'user-1', 'admin', new Date(now - 1000));
    expect(service.holdsRole('org-3', 'user-1', 'admin')).toBe(false);
    service.changeMembership('org-3', 'user-1', 'owner', new Date(now + 1));
    expect(service.holdsRole('org-3', 'user-1', 'owner')).toBe(true);
  });

  it('forgets a membership change older than every access token issued before it', () => {
    service.changeMembership('org-4', 'user-1', null, new Date(Date.now() - 60_000 - 120_000));
    expect(service.holdsRole('org-4', 'user-1', 'member')).toBe(true);
  });

  it('forgets a revocation older than every access token of its session', () => {
    const longAgo = new Date(Date.now() - 60_000 - 120_000);
    service.add(['old'], longAgo);
    expect(service.isRevoked('old')).toBe(false);
  });

  it('keeps an entry as long as the longer-lived of user and service-client tokens', () => {
    const longer = new RevocationService(loadConfig({ ACCESS_TOKEN_TTL: '60', CLIENT_TOKEN_TTL: '600' }));
    try {
      longer.add(['client'], new Date(Date.now() - 60_000 - 120_000));
      expect(longer.isRevoked('client')).toBe(true);
      expect(longer.horizonSeconds).toBe(660);
    } finally {
      longer.onModuleDestroy();
    }
  });

  it('keeps the later forget time when a session is revoked twice', () => {
    service.add(['twice'], new Date(Date.now() - 100_000));
    service.add(['twice'], new Date());
    expect(service.isRevoked('twice')).toBe(true);
  });
});
