import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The change function's guarantee rests on one rule: whatever writes how an account is entered (its password,
 * address, credentials version, disabled flag, second factor, recovery codes, passkeys and identities) runs
 * inside AccountChanges.change, which shows as a method taking its ChangeScope. This reads every source file
 * and fails on a write elsewhere, unless listed below with the reason it is no change of a way in.
 */
const ROOT = resolve(__dirname, '../../../..');
const SOURCES = ['apps', 'libs'];
const CHANGE_FUNCTION_FOLDER = 'libs/auth/src/changes/';

const GUARDED_TABLE =
  /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(passkeys|mfa_totp|mfa_recovery_codes|user_identities)"?\b/i;
const USERS_SET_CLAUSE =
  /\bUPDATE\s+"?users"?\s+(?:\w+\s+)?SET\b((?:(?!\b(?:WHERE|FROM|RETURNING)\b)[\s\S])*)/i;
const GUARDED_USER_COLUMN = /\b(password_hash|credentials_version|email|disabled_at)"?\s*=/i;

/** Whether a statement writes a guarded table, or a guarded column of `users` (in its SET clause). */
function isGuarded(statement: string): boolean {
  const set = USERS_SET_CLAUSE.exec(statement)?.[1];
  return GUARDED_TABLE.test(statement) || (set !== undefined && GUARDED_USER_COLUMN.test(set));
}

/** file → method → why its write is no change to how the account is entered. */
const BOOKKEEPING: Record<string, Record<string, string>> = {
  'libs/users/src/users.service.ts': {
    verifyCredentials: 'rehashes the very password just verified, with stronger parameters',
    enable: 'lets a disabled user in again: it voids nothing and adds no way in',
  },
  'libs/auth/src/passkeys/passkey-store.ts': {
    recordUse: "a sign-in's signature counter",
    rename: "a passkey's label",
  },
  'libs/auth/src/oauth/identities.ts': {
    signInUserOf: "a sign-in's time and what the provider says the address is",
    attach:
      "a new account's first identity, in the transaction that creates the account (link() passes the scope)",
  },
  'libs/auth/src/mfa/totp-authenticator.ts': {
    begin: 'a pending secret: nothing is on until a change confirms it',
    accept: 'the steps whose codes were used at a sign-in',
  },
  'libs/auth/src/mfa/recovery-codes.ts': {
    consume: 'a recovery code used up by a sign-in',
  },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return ['node_modules', 'migrations', 'client', 'demo'].includes(entry.name) ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const MEMBER =
  /^ {2}(?:(?:private|protected|public|static|readonly|override)\s+)*(?:async\s+)?([A-Za-z_]\w*)\s*[(<]/;

/** The class member a position of the text is in: its name, and its signature up to the opening brace. */
function enclosingMember(text: string, index: number): { name: string; signature: string } {
  const lines = text.slice(0, index).split('\n');
  for (let line = lines.length - 1; line >= 0; line--) {
    const match = MEMBER.exec(lines[line]);
    if (!match) continue;
    const start = lines.slice(0, line).join('\n').length;
    const signature = text.slice(start, text.indexOf('{', start + lines[line].length - 1) + 1);
    return { name: match[1], signature };
  }
  return { name: '(top level)', signature: '' };
}

/** Every string literal of a file (single-quoted, double-quoted or template), with where it starts. */
function literals(text: string): { value: string; index: number }[] {
  const found: { value: string; index: number }[] = [];
  const pattern = /`(?:[^`\\]|\\.)*`|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    found.push({ value: match[0], index: match.index });
  }
  return found;
}

interface GuardedWrite {
  file: string;
  member: string;
  takesScope: boolean;
  statement: string;
}

function guardedWrites(): GuardedWrite[] {
  return SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir))).flatMap((path) => {
    const text = readFileSync(path, 'utf8');
    const file = relative(ROOT, path);
    return literals(text)
      .filter(({ value }) => isGuarded(value))
      .map(({ value, index }) => {
        const member = enclosingMember(text, index);
        return {
          file,
          member: member.name,
          takesScope: /\bChangeScope\b/.test(member.signature),
          statement: value.replace(/\s+/g, ' ').slice(0, 120),
        };
      });
  });
}

describe('writes to how an account is entered', () => {
  const writes = guardedWrites();

  it('finds the writes it guards (the scan itself works)', () => {
    const members = writes.map((write) => `${write.file}#${write.member}`);
    expect(members).toEqual(
      expect.arrayContaining([
        'libs/auth/src/changes/account-writes.ts#setPassword',
        'libs/auth/src/passkeys/passkey-store.ts#add',
        'libs/auth/src/passkeys/passkey-store.ts#remove',
        'libs/auth/src/mfa/totp-authenticator.ts#confirm',
        'libs/auth/src/oauth/identities.ts#unlink',
      ]),
    );
  });

  it('happen only inside the change function (a method taking its ChangeScope) or as listed bookkeeping', () => {
    const outside = writes.filter(
      (write) =>
        !write.file.startsWith(CHANGE_FUNCTION_FOLDER) &&
        !write.takesScope &&
        BOOKKEEPING[write.file]?.[write.member] === undefined,
    );
    expect(outside.map((write) => `${write.file}#${write.member}: ${write.statement}`)).toEqual([]);
  });

  it('every listed exception still exists (a stale list hides nothing)', () => {
    const seen = new Set(writes.map((write) => `${write.file}#${write.member}`));
    const listed = Object.entries(BOOKKEEPING).flatMap(([file, members]) =>
      Object.keys(members).map((member) => `${file}#${member}`),
    );
    expect(listed.filter((entry) => !seen.has(entry))).toEqual([]);
  });

  it('makes a ChangeScope only in the change function', () => {
    const makers = SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir)))
      .filter((path) => /new ChangeScope\(/.test(readFileSync(path, 'utf8')))
      .map((path) => relative(ROOT, path));
    expect(makers).toEqual(['libs/auth/src/changes/account-changes.ts']);
  });
});
