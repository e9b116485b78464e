import { randomUUID } from 'node:crypto';
import { LoggedIn, signUp } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';
import { expectNestError } from './support/expectations';

const NOTE_KEYS = ['body', 'createdAt', 'id', 'title', 'updatedAt'];

interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

describeEachDatabase('notes: owner-scoped CRUD at /api/notes', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  const bearer = (session: LoggedIn) => `Bearer ${session.accessToken}`;
  const createNote = (session: LoggedIn, body: object) =>
    app.http().post('/api/notes').set('Authorization', bearer(session)).send(body);
  const listNotes = (session: LoggedIn, query = '') =>
    app.http().get(`/api/notes${query}`).set('Authorization', bearer(session));
  const getNote = (session: LoggedIn, id: string) =>
    app.http().get(`/api/notes/${id}`).set('Authorization', bearer(session));
  const patchNote = (session: LoggedIn, id: string, body: object) =>
    app.http().patch(`/api/notes/${id}`).set('Authorization', bearer(session)).send(body);
  const deleteNote = (session: LoggedIn, id: string) =>
    app.http().delete(`/api/notes/${id}`).set('Authorization', bearer(session));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Creates a note that must succeed, and answers it. */
  async function newNote(session: LoggedIn, body: object = { title: 'a note' }): Promise<Note> {
    const response = await createNote(session, body);
    if (response.status !== 201)
      throw new Error(`create note failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Note;
  }

  /** The note still reads, unchanged, for its owner. */
  async function expectUnchanged(owner: LoggedIn, note: Note): Promise<void> {
    const response = await getNote(owner, note.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(note);
  }

  describe('POST /api/notes', () => {
    it('answers 201 with exactly id, title, body, createdAt, updatedAt, and the note can be read back', async () => {
      const session = await signUp(app);
      const response = await createNote(session, { title: 'Groceries', body: 'Milk, eggs' });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(NOTE_KEYS);
      expect(response.body).toMatchObject({ title: 'Groceries', body: 'Milk, eggs' });
      expect(response.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      for (const field of ['createdAt', 'updatedAt']) {
        expect(Number.isNaN(Date.parse(response.body[field]))).toBe(false);
      }
      await expectUnchanged(session, response.body as Note);
    });

    it('defaults the body to an empty string', async () => {
      const session = await signUp(app);
      const response = await createNote(session, { title: 'Title only' });
      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(NOTE_KEYS);
      expect(response.body.body).toBe('');
      const read = await getNote(session, response.body.id).expect(200);
      expect(read.body.body).toBe('');
    });

    it('accepts a title of exactly 200 characters', async () => {
      const session = await signUp(app);
      const title = 'x'.repeat(200);
      const response = await createNote(session, { title });
      expect(response.status).toBe(201);
      expect(response.body.title).toBe(title);
    });

    it('refuses an ownerId in the body with a 400 and creates nothing, for the caller or the named owner', async () => {
      const attacker = await signUp(app);
      const victim = await signUp(app);
      const title = `planted-${randomUUID()}`;
      const response = await createNote(attacker, { title, ownerId: victim.userId });
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      const forVictim = await listNotes(victim).expect(200);
      expect(forVictim.body).toEqual({ items: [], total: 0 });
      const forAttacker = await listNotes(attacker).expect(200);
      expect(forAttacker.body).toEqual({ items: [], total: 0 });
      const rows = await app.query('SELECT id FROM notes WHERE title = $1', [title]);
      expect(rows).toHaveLength(0);
    });

    it('refuses any other unknown property with a 400 and creates nothing', async () => {
      const session = await signUp(app);
      const response = await createNote(session, { title: 'pinned', pinned: true });
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      const list = await listNotes(session).expect(200);
      expect(list.body.total).toBe(0);
    });

    it.each([
      ['a missing title', { body: 'no title' }],
      ['an empty title', { title: '' }],
      ['a non-string title', { title: 42 }],
      ['a null title', { title: null }],
      ['a title over 200 characters', { title: 'x'.repeat(201) }],
      ['a NUL character in the title', { title: 'before\u0000after' }],
      ['a NUL character in the body', { title: 'fine', body: 'before\u0000after' }],
      ['a non-string body', { title: 'fine', body: 7 }],
    ])('refuses %s with a 400 (never a 500) and creates nothing', async (_name, body) => {
      const session = await signUp(app);
      const response = await createNote(session, body);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      const list = await listNotes(session).expect(200);
      expect(list.body).toEqual({ items: [], total: 0 });
    });

    it('answers 401 without a token and creates nothing', async () => {
      const title = `anonymous-${randomUUID()}`;
      const response = await app.http().post('/api/notes').send({ title });
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
      const rows = await app.query('SELECT id FROM notes WHERE title = $1', [title]);
      expect(rows).toHaveLength(0);
    });
  });

  describe('GET /api/notes', () => {
    it('lists the caller’s notes newest first, with the total', async () => {
      const session = await signUp(app);
      const first = await newNote(session, { title: 'first' });
      const second = await newNote(session, { title: 'second' });
      const third = await newNote(session, { title: 'third' });
      const response = await listNotes(session);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['items', 'total']);
      expect(response.body.total).toBe(3);
      expect(response.body.items).toEqual([third, second, first]);
      for (const item of response.body.items) expect(Object.keys(item).sort()).toEqual(NOTE_KEYS);
    });

    it('never lists another user’s notes', async () => {
      const alice = await signUp(app);
      const bob = await signUp(app);
      const mine = await newNote(alice, { title: 'alice’s' });
      await newNote(bob, { title: 'bob’s' });
      await newNote(bob, { title: 'bob’s too' });
      const response = await listNotes(alice).expect(200);
      expect(response.body).toEqual({ items: [mine], total: 1 });
      const forBob = await listNotes(bob).expect(200);
      expect(forBob.body.total).toBe(2);
      expect((forBob.body.items as Note[]).map((n) => n.id)).not.toContain(mine.id);
    });

    it('pages with limit and offset, keeping the total of all the caller’s notes', async () => {
      const session = await signUp(app);
      const notes: Note[] = [];
      for (const title of ['n1', 'n2', 'n3', 'n4']) notes.push(await newNote(session, { title }));
      const newestFirst = [...notes].reverse();

      const page = await listNotes(session, '?limit=2&offset=1');
      expect(page.status).toBe(200);
      expect(page.body).toEqual({ items: newestFirst.slice(1, 3), total: 4 });

      const last = await listNotes(session, '?limit=2&offset=3').expect(200);
      expect(last.body).toEqual({ items: newestFirst.slice(3), total: 4 });

      const beyond = await listNotes(session, '?offset=10').expect(200);
      expect(beyond.body).toEqual({ items: [], total: 4 });
    });

    it('accepts limit=100', async () => {
      const session = await signUp(app);
      const note = await newNote(session);
      const response = await listNotes(session, '?limit=100');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ items: [note], total: 1 });
    });

    it.each([
      ['limit=0', '?limit=0'],
      ['limit=101', '?limit=101'],
      ['limit=abc', '?limit=abc'],
      ['limit=1.5', '?limit=1.5'],
      ['offset=-1', '?offset=-1'],
      ['offset=abc', '?offset=abc'],
    ])('refuses %s with a 400', async (_name, query) => {
      const session = await signUp(app);
      await newNote(session);
      const response = await listNotes(session, query);
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });

    it('answers 401 without a token', async () => {
      const response = await app.http().get('/api/notes');
      expect(response.status).toBe(401);
      expectNestError(response.body, 401);
    });
  });

  describe('GET/PATCH/DELETE /api/notes/:id of one’s own note', () => {
    it('GET answers 200 with the note', async () => {
      const session = await signUp(app);
      const note = await newNote(session, { title: 'read me', body: 'the body' });
      const response = await getNote(session, note.id);
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(NOTE_KEYS);
      expect(response.body).toEqual(note);
    });

    it('PATCH changes the title only, keeps the body and createdAt, and bumps updatedAt', async () => {
      const session = await signUp(app);
      const note = await newNote(session, { title: 'old title', body: 'kept body' });
      await sleep(20);
      const response = await patchNote(session, note.id, { title: 'new title' });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(NOTE_KEYS);
      expect(response.body).toMatchObject({
        id: note.id,
        title: 'new title',
        body: 'kept body',
        createdAt: note.createdAt,
      });
      expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(note.updatedAt));
      await expectUnchanged(session, response.body as Note);
    });

    it('PATCH changes the body only, keeping the title', async () => {
      const session = await signUp(app);
      const note = await newNote(session, { title: 'kept title', body: 'old body' });
      await sleep(20);
      const response = await patchNote(session, note.id, { body: 'new body' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: note.id, title: 'kept title', body: 'new body' });
      expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(note.updatedAt));
      await expectUnchanged(session, response.body as Note);
    });

    it('PATCH changes title and body together', async () => {
      const session = await signUp(app);
      const note = await newNote(session, { title: 'old title', body: 'old body' });
      await sleep(20);
      const response = await patchNote(session, note.id, { title: 'both new', body: 'also new' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: note.id, title: 'both new', body: 'also new' });
      expect(Date.parse(response.body.updatedAt)).toBeGreaterThan(Date.parse(note.updatedAt));
      await expectUnchanged(session, response.body as Note);
    });

    it.each([
      ['an ownerId', (other: LoggedIn) => ({ ownerId: other.userId })],
      ['an ownerId next to a valid title', (other: LoggedIn) => ({ title: 'moved', ownerId: other.userId })],
      ['an unknown property', () => ({ pinned: true })],
      ['an empty title', () => ({ title: '' })],
      ['a title over 200 characters', () => ({ title: 'y'.repeat(201) })],
      ['a NUL character in the title', () => ({ title: 'a\u0000b' })],
    ])('PATCH refuses %s with a 400 and changes nothing', async (_name, makeBody) => {
      const owner = await signUp(app);
      const other = await signUp(app);
      const note = await newNote(owner, { title: 'stays', body: 'put' });
      const response = await patchNote(owner, note.id, makeBody(other));
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      await expectUnchanged(owner, note);
      const forOther = await listNotes(other).expect(200);
      expect(forOther.body).toEqual({ items: [], total: 0 });
    });

    it('DELETE answers 204, then the note is gone: GET, PATCH and DELETE answer 404', async () => {
      const session = await signUp(app);
      const kept = await newNote(session, { title: 'kept' });
      const note = await newNote(session, { title: 'deleted' });
      const response = await deleteNote(session, note.id);
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
      const get = await getNote(session, note.id);
      expect(get.status).toBe(404);
      expectNestError(get.body, 404);
      await patchNote(session, note.id, { title: 'revived' }).expect(404);
      await deleteNote(session, note.id).expect(404);
      const list = await listNotes(session).expect(200);
      expect(list.body).toEqual({ items: [kept], total: 1 });
    });
  });

  describe('another user’s note, a missing note, a malformed id', () => {
    it('answers 404 to GET, PATCH and DELETE of another user’s note, which stays unchanged for its owner', async () => {
      const owner = await signUp(app);
      const intruder = await signUp(app);
      const note = await newNote(owner, { title: 'private', body: 'secret' });

      const get = await getNote(intruder, note.id);
      expect(get.status).toBe(404);
      expectNestError(get.body, 404);
      expect(JSON.stringify(get.body)).not.toContain('secret');

      const patch = await patchNote(intruder, note.id, { title: 'defaced', body: 'defaced' });
      expect(patch.status).toBe(404);
      expectNestError(patch.body, 404);

      const del = await deleteNote(intruder, note.id);
      expect(del.status).toBe(404);
      expectNestError(del.body, 404);

      await expectUnchanged(owner, note);
      const list = await listNotes(owner).expect(200);
      expect(list.body).toEqual({ items: [note], total: 1 });
    });

    it('answers the same 404 for another user’s note as for one that never existed', async () => {
      const owner = await signUp(app);
      const intruder = await signUp(app);
      const note = await newNote(owner);
      const foreign = await getNote(intruder, note.id).expect(404);
      const missing = await getNote(intruder, randomUUID()).expect(404);
      expect(foreign.body).toEqual(missing.body);
    });

    it('answers 404 to GET, PATCH and DELETE of a random well-formed uuid', async () => {
      const session = await signUp(app);
      const note = await newNote(session);
      const id = randomUUID();
      for (const response of [
        await getNote(session, id),
        await patchNote(session, id, { title: 'nothing' }),
        await deleteNote(session, id),
      ]) {
        expect(response.status).toBe(404);
        expectNestError(response.body, 404);
      }
      await expectUnchanged(session, note);
    });

    it.each(['not-a-uuid', '12345', `${randomUUID()}x`])(
      'answers 400 to GET, PATCH and DELETE of the malformed id %s',
      async (id) => {
        const session = await signUp(app);
        const note = await newNote(session);
        for (const response of [
          await getNote(session, id),
          await patchNote(session, id, { title: 'nothing' }),
          await deleteNote(session, id),
        ]) {
          expect(response.status).toBe(400);
          expectNestError(response.body, 400);
        }
        await expectUnchanged(session, note);
      },
    );

    it('answers 401 without a token to GET, PATCH and DELETE, and the note is untouched', async () => {
      const session = await signUp(app);
      const note = await newNote(session);
      for (const response of [
        await app.http().get(`/api/notes/${note.id}`),
        await app.http().patch(`/api/notes/${note.id}`).send({ title: 'anonymous' }),
        await app.http().delete(`/api/notes/${note.id}`),
      ]) {
        expect(response.status).toBe(401);
        expectNestError(response.body, 401);
      }
      await expectUnchanged(session, note);
    });
  });
});
