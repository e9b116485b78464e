import { ParsedMail, simpleParser } from 'mailparser';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestApp } from './test-app';

/** Every message the app has written to its outbox directory (its mailbox without SMTP_URL), newest first. */
export async function outboxMessages(app: TestApp): Promise<ParsedMail[]> {
  const names = (await readdir(app.outboxDir).catch(() => [] as string[])).filter((name) =>
    name.endsWith('.eml'),
  );
  // Files are named by time, so the newest sorts last.
  return Promise.all(
    names
      .sort()
      .reverse()
      .map(async (name) => simpleParser(await readFile(join(app.outboxDir, name)))),
  );
}

/** Whether a message is addressed to `to`. */
export function sentTo(to: string): (mail: ParsedMail) => boolean {
  return (mail) => mail.to !== undefined && JSON.stringify(mail.to).includes(to);
}
