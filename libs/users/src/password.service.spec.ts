import { AppConfig, loadConfig } from '@gatehouse/config';
import { Test } from '@nestjs/testing';
import { Algorithm, hash } from '@node-rs/argon2';
import { Argon2Queue } from './argon2-queue';
import { PasswordService } from './password.service';

describe('PasswordService', () => {
  let service: PasswordService;

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      providers: [
        PasswordService,
        { provide: AppConfig, useValue: loadConfig({ PASSWORD_MIN_LENGTH: '8' }) },
      ],
    }).compile();
    service = module.get(PasswordService);
  });

  it.each([
    ['too short', 'seven77', /at least 8/],
    ['too long', 'x'.repeat(129), /at most 128/],
    ['common', 'password1', /common/],
    ['common in another case', 'PassWord1', /common/],
  ])('refuses a %s password', (_name, password, reason) => {
    expect(service.policyViolation(password)).toMatch(reason);
  });

  it('counts characters after NFKC, never bytes', () => {
    expect(service.policyViolation('🔐🔐🔐🔐🔐🔐🔐🔐')).toBeUndefined();
    expect(service.policyViolation('🔐'.repeat(129))).toMatch(/at most 128/);
  });

  it('verifies NFKC-equivalent passwords and nothing else', async () => {
    const stored = await service.hash('ｆｕｌｌｗｉｄｔｈ pass');
    expect(await service.verify(stored, 'fullwidth pass')).toBe(true);
    expect(await service.verify(stored, 'fullwidth pass ')).toBe(false);
    expect(await service.verify('not a hash', 'fullwidth pass')).toBe(false);
  });

  it('hashes with argon2id at m=19 MiB, t=2, p=1 and does not ask to rehash that', async () => {
    const stored = await service.hash('a fine passphrase');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(service.needsRehash(stored)).toBe(false);
  });

  it('asks to rehash weaker hashes', async () => {
    const weak = await hash('a fine passphrase', {
      algorithm: Algorithm.Argon2id,
      memoryCost: 4096,
      timeCost: 1,
    });
    expect(service.needsRehash(weak)).toBe(true);
    expect(service.needsRehash('$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toBe(true);
    expect(service.needsRehash('$2b$10$bcrypthashbcrypthashbcrypthashbcrypthashbcrypthash')).toBe(true);
  });

  it('spends a verification on unknown users and answers false', async () => {
    expect(await service.verifyDummy('anything at all')).toBe(false);
  });
});

describe('Argon2Queue', () => {
  it('never runs more than its concurrency at once', async () => {
    const queue = new Argon2Queue(2);
    let running = 0;
    let peak = 0;
    const work = () =>
      queue.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return running;
      });
    await Promise.all(Array.from({ length: 10 }, work));
    expect(peak).toBe(2);
  });

  it('reports how many wait and how long each waited for its turn', async () => {
    const queue = new Argon2Queue(1);
    const waits: number[] = [];
    queue.observeWaits((seconds) => waits.push(seconds));
    let release!: () => void;
    const first = queue.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = queue.run(() => Promise.resolve());
    const third = queue.run(() => Promise.resolve());
    expect(queue.depth).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await Promise.all([first, second, third]);
    expect(queue.depth).toBe(0);
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBe(0);
    expect(Math.min(waits[1], waits[2])).toBeGreaterThanOrEqual(0.02);
  });

  it('keeps going after a failed job', async () => {
    const queue = new Argon2Queue(1);
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
