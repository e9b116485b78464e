import {
  CRASH_ROUNDS,
  CRASH_SETTINGS,
  CRASH_TEST_TIMEOUT,
  CrashableServer,
} from './support/crashable-server';
import { PASSWORD, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';

const OWNERS = 4;
const REGISTERING_CLIENTS = 4;
/** The kill comes once this many writes are acknowledged, registrations among them. */
const NOTES_BEFORE_KILL = 100;
const REGISTRATIONS_BEFORE_KILL = 6;
/** What a client knows of one write: whether a 2xx came back for it. */
interface Write {
  acknowledged: boolean;
  /** An answer other than 2xx before the kill: there must be none. */
  refused?: number;
}

interface NoteWrite extends Write {
  owner: Owner;
  title: string;
  body: string;
  id?: string;
}

interface Owner {
  email: string;
  accessToken: string;
}

/** A body long enough to span several pages of the table, whose end proves it was stored whole. */
const bodyOf = (title: string) => `${title}\n${'0123456789abcdef'.repeat(512)}\nend of ${title}`;

const postJson = (url: string, body: unknown, accessToken?: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify(body),
  });

/** Sends one write; a connection that dies with the server leaves it unacknowledged. */
async function send(write: Write, request: () => Promise<Response>): Promise<unknown> {
  let response: Response;
  try {
    response = await request();
  } catch {
    return undefined;
  }
  if (response.status < 200 || response.status > 299) {
    write.refused = response.status;
    return undefined;
  }
  write.acknowledged = true;
  // The status line is the acknowledgement; a body cut off after it does not undo the write.
  return response.json().catch(() => undefined);
}

async function signUpOwners(base: string): Promise<Owner[]> {
  return Promise.all(
    Array.from({ length: OWNERS }, async (_, i) => {
      const email = uniqueEmail(`crash-owner-${i}`);
      expect((await postJson(`${base}/api/auth/register`, { email, password: PASSWORD })).status).toBe(201);
      const login = await postJson(`${base}/api/auth/login`, { email, password: PASSWORD });
      expect(login.status).toBe(200);
      return { email, accessToken: ((await login.json()) as { accessToken: string }).accessToken };
    }),
  );
}

/** Whether each email can sign in, a few logins at a time (each one hashes the password). */
async function signInResults(base: string, emails: string[]): Promise<Map<string, number>> {
  const results = new Map<string, number>();
  for (let i = 0; i < emails.length; i += 4) {
    await Promise.all(
      emails.slice(i, i + 4).map(async (email) => {
        const login = await postJson(`${base}/api/auth/login`, { email, password: PASSWORD });
        await login.arrayBuffer();
        results.set(email, login.status);
      }),
    );
  }
  return results;
}

/** Registrations and note writes, all concurrent, until the server is SIGKILLed under them. */
async function writeUntilKilled(
  server: CrashableServer,
  owners: Owner[],
  registrations: Map<string, Write>,
  notes: NoteWrite[],
  round: number,
): Promise<void> {
  const base = server.baseUrl;
  const acknowledgedBefore = {
    notes: notes.filter((note) => note.acknowledged).length,
    registrations: [...registrations.values()].filter((write) => write.acknowledged).length,
  };
  const counts = { notes: 0, registrations: 0 };
  let killing: Promise<void> | undefined;
  const maybeKill = () => {
    if (!killing && counts.notes >= NOTES_BEFORE_KILL && counts.registrations >= REGISTRATIONS_BEFORE_KILL) {
      killing = server.kill();
    }
  };
  const register = async (client: number) => {
    for (let seq = 0; !killing; seq++) {
      const email = uniqueEmail(`crash-r${round}-c${client}-${seq}`);
      const write: Write = { acknowledged: false };
      registrations.set(email, write);
      await send(write, () => postJson(`${base}/api/auth/register`, { email, password: PASSWORD }));
      if (!write.acknowledged) return;
      counts.registrations++;
      maybeKill();
    }
  };
  const writeNotes = async (owner: Owner, index: number) => {
    for (let seq = 0; !killing; seq++) {
      const title = `crash-r${round}-o${index}-${seq}`;
      const note: NoteWrite = { acknowledged: false, owner, title, body: bodyOf(title) };
      notes.push(note);
      const created = (await send(note, () =>
        postJson(`${base}/api/notes`, { title, body: note.body }, owner.accessToken),
      )) as { id?: string } | undefined;
      if (!note.acknowledged) return;
      note.id = created?.id;
      counts.notes++;
      maybeKill();
    }
  };
  await Promise.all([
    ...Array.from({ length: REGISTERING_CLIENTS }, (_, client) => register(client)),
    ...owners.map((owner, index) => writeNotes(owner, index)),
  ]);
  await killing;
  expect(killing).toBeDefined();
  expect(notes.filter((note) => note.acknowledged).length).toBeGreaterThanOrEqual(
    acknowledgedBefore.notes + NOTES_BEFORE_KILL,
  );
  expect([...registrations.values()].filter((write) => write.acknowledged).length).toBeGreaterThanOrEqual(
    acknowledgedBefore.registrations + REGISTRATIONS_BEFORE_KILL,
  );
}

async function listNotes(base: string, owner: Owner): Promise<{ id: string; title: string; body: string }[]> {
  const items: { id: string; title: string; body: string }[] = [];
  for (let offset = 0; ; offset += 100) {
    const response = await fetch(`${base}/api/notes?limit=100&offset=${offset}`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as {
      items: { id: string; title: string; body: string }[];
      total: number;
    };
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

describeEachDatabase('SIGKILL during concurrent registrations and note writes', (kind) => {
  let server: CrashableServer;

  beforeAll(async () => {
    server = await CrashableServer.create(kind, CRASH_SETTINGS);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it(
    'keeps every acknowledged write, and each unacknowledged one wholly or not at all',
    async () => {
      await server.start();
      const owners = await signUpOwners(server.baseUrl);
      const registrations = new Map<string, Write>();
      const notes: NoteWrite[] = [];
      /** Emails whose login succeeded after the restart, acknowledged or not. */
      const canLogIn = new Set<string>();

      for (let round = 0; round < CRASH_ROUNDS; round++) {
        await writeUntilKilled(server, owners, registrations, notes, round);
        for (const write of [...registrations.values(), ...notes]) expect(write.refused).toBeUndefined();
        await server.start();

        // Access tokens issued before the kill still work: the keys are on disk and nothing was revoked.
        for (const owner of owners) {
          const stored = await listNotes(server.baseUrl, owner);
          const byTitle = new Map(stored.map((item) => [item.title, item]));
          expect(byTitle.size).toBe(stored.length);
          for (const note of notes.filter((write) => write.owner === owner)) {
            const found = byTitle.get(note.title);
            if (note.acknowledged) {
              expect(found).toMatchObject({ title: note.title, body: note.body });
              if (note.id) expect(found!.id).toBe(note.id);
            } else if (found) {
              expect(found.body).toBe(note.body);
            }
          }
        }

        // Every email sent so far, acknowledged or not: a user who exists must be able to sign in.
        const untried = [...registrations.keys()].filter((email) => !canLogIn.has(email));
        for (const [email, status] of await signInResults(server.baseUrl, untried)) {
          if (registrations.get(email)!.acknowledged) expect(status).toBe(200);
          else expect([200, 401]).toContain(status);
          if (status === 200) canLogIn.add(email);
        }
      }
      await server.stop();

      const emails = [...registrations.keys()];
      await server.readDatabase(async (query) => {
        const users = await query<{ email: string; tokens: number; mails: number }>(
          `SELECT u.email,
                (SELECT count(*)::int FROM email_tokens t WHERE t.user_id = u.id AND t.purpose = 'verify_email') AS tokens,
                (SELECT count(*)::int FROM mail_outbox m WHERE m."to" = u.email AND m.purpose = 'verify_email') AS mails
           FROM users u WHERE u.email = ANY($1::text[])`,
          [emails],
        );
        // Exactly the users who can sign in exist, each with the verification link and email of its registration.
        expect(users.map((user) => user.email).sort()).toEqual([...canLogIn].sort());
        for (const user of users) expect(user).toMatchObject({ tokens: 1, mails: 1 });

        const stored = await query<{ title: string; body: string; copies: number }>(
          `SELECT title, min(body) AS body, count(*)::int AS copies FROM notes
          WHERE title = ANY($1::text[]) GROUP BY title`,
          [notes.map((note) => note.title)],
        );
        const byTitle = new Map(stored.map((row) => [row.title, row]));
        for (const note of notes) {
          const row = byTitle.get(note.title);
          if (note.acknowledged) expect(row).toBeDefined();
          if (row) expect(row).toMatchObject({ body: note.body, copies: 1 });
        }

        const acknowledged = (writes: Write[]) => writes.filter((write) => write.acknowledged).length;
        const figures = {
          registrationsSent: registrations.size,
          registrationsAcknowledged: acknowledged([...registrations.values()]),
          usersStored: users.length,
          notesSent: notes.length,
          notesAcknowledged: acknowledged(notes),
          notesStored: stored.length,
        };
        process.stdout.write(`crash-writes [${kind}] ${JSON.stringify(figures)}\n`);
      });
    },
    CRASH_TEST_TIMEOUT,
  );
});
