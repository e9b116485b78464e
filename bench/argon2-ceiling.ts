/**
 * The argon2 ceiling for logins: how many password verifications per second the app's own PasswordService
 * (argon2id 19 MiB, t=2, p=1, through its Argon2Queue: one fewer at a time than there are cores, at least one)
 * completes on this machine when it is always busy, with nothing else running. A child process of the driver.
 */
import { loadConfig } from '@gatehouse/config';
import { PasswordService } from '../libs/users/src/password.service';
import { reportToParent } from './ipc';

export interface Argon2CeilingResult {
  verifiesPerSecond: number;
  concurrency: number;
  verifies: number;
  msPerVerify: number;
}

async function measure(warmupSeconds: number, seconds: number): Promise<Argon2CeilingResult> {
  const passwords = new PasswordService(loadConfig({}));
  const concurrency = (passwords as unknown as { queue: { concurrency: number } }).queue.concurrency;
  const password = 'bench argon2 ceiling password';
  const hash = await passwords.hash(password);
  const from = Date.now() + warmupSeconds * 1000;
  const until = from + seconds * 1000;
  let verifies = 0;
  // More callers than the queue lets through, so it never idles: the queue is what bounds the concurrency.
  await Promise.all(
    Array.from({ length: concurrency * 4 }, async () => {
      for (;;) {
        if (!(await passwords.verify(hash, password))) throw new Error('verification failed');
        const now = Date.now();
        if (now > until) return;
        if (now >= from) verifies++;
      }
    }),
  );
  return {
    verifiesPerSecond: verifies / seconds,
    concurrency,
    verifies,
    msPerVerify: (seconds * 1000 * concurrency) / verifies,
  };
}

const [warmup, seconds] = process.argv.slice(2).map(Number);
reportToParent(() => measure(warmup, seconds));
