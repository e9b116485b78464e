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
