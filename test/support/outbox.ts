import { ParsedMail, simpleParser } from 'mailparser';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestApp } from './test-app';

/**
 * Each `.eml` file parsed once: a file never changes once it has its name (the app writes it aside and renames it
 * into place), and suites poll outboxes of hundreds of messages, which parsing every time made slow.
 */
const parsedFiles = new Map<string, Promise<ParsedMail>>();

function parsedFile(path: string): Promise<ParsedMail> {
  let parsed = parsedFiles.get(path);
  if (!parsed) {
    parsed = readFile(path).then((content) => simpleParser(content));
    parsedFiles.set(path, parsed);
    parsed.catch(() => parsedFiles.delete(path));
  }
  return parsed;
}

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
      .map((name) => parsedFile(join(app.outboxDir, name))),
  );
}

/** Whether a message is addressed to `to`. */
export function sentTo(to: string): (mail: ParsedMail) => boolean {
  return (mail) => mail.to !== undefined && JSON.stringify(mail.to).includes(to);
}
