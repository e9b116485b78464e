import { randomUUID } from 'node:crypto';
import { expectNestError } from './support/expectations';
import { describeOwnerScopedCrud, OwnedItem } from './support/owner-scoped-crud';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeOwnerScopedCrud(
  'notes: owner-scoped CRUD at /api/notes',
  {
    path: '/api/notes',
    table: 'notes',
    keys: ['body', 'createdAt', 'id', 'title', 'updatedAt'],
    create: (label) => ({ title: label, body: `the body of ${label}` }),
    updates: [
      ['of the title only', { title: 'new title' }],
      ['of the body only', { body: 'new body' }],
      ['of title and body together', { title: 'both new', body: 'also new' }],
    ],
    invalidCreates: [
      ['a missing title', { body: 'no title' }],
      ['an empty title', { title: '' }],
      ['a non-string title', { title: 42 }],
      ['a null title', { title: null }],
      ['a title over 200 characters', { title: 'x'.repeat(201) }],
      ['a NUL character in the title', { title: 'before\u0000after' }],
      ['a NUL character in the body', { title: 'fine', body: 'before\u0000after' }],
      ['a non-string body', { title: 'fine', body: 7 }],
    ],
    invalidUpdates: [
      ['an empty title', { title: '' }],
      ['a title over 200 characters', { title: 'y'.repeat(201) }],
      ['a NUL character in the title', { title: 'a\u0000b' }],
    ],
  },
  (notes) => {
    describe('what only notes do', () => {
      it('answers 201 with the title and body sent', async () => {
        const session = await notes.signUp();
        const response = await notes.create(session, { title: 'Groceries', body: 'Milk, eggs' });
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ title: 'Groceries', body: 'Milk, eggs' });
        await notes.expectUnchanged(session, response.body as OwnedItem);
      });

      it('defaults the body to an empty string', async () => {
        const session = await notes.signUp();
        const response = await notes.create(session, { title: 'Title only' });
        expect(response.status).toBe(201);
        expect(Object.keys(response.body).sort()).toEqual(['body', 'createdAt', 'id', 'title', 'updatedAt']);
        expect(response.body.body).toBe('');
        const read = await notes.get(session, response.body.id).expect(200);
        expect(read.body.body).toBe('');
      });

      it('accepts a title of exactly 200 characters', async () => {
        const session = await notes.signUp();
        const title = 'x'.repeat(200);
        const response = await notes.create(session, { title });
        expect(response.status).toBe(201);
        expect(response.body.title).toBe(title);
      });

      it('refuses an ownerId with a 400 and stores no note of that title anywhere', async () => {
        const attacker = await notes.signUp();
        const victim = await notes.signUp();
        const title = `planted-${randomUUID()}`;
        const response = await notes.create(attacker, { title, ownerId: victim.userId });
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        const rows = await notes.app.query('SELECT id FROM notes WHERE title = $1', [title]);
        expect(rows).toHaveLength(0);
      });

      it('keeps the body when only the title changes, and the title when only the body changes', async () => {
        const session = await notes.signUp();
        const note = await notes.newItem(session, { title: 'old title', body: 'kept body' });
        await sleep(20);
        const titled = await notes.patch(session, note.id, { title: 'new title' }).expect(200);
        expect(titled.body).toMatchObject({ id: note.id, title: 'new title', body: 'kept body' });
        const bodied = await notes.patch(session, note.id, { body: 'new body' }).expect(200);
        expect(bodied.body).toMatchObject({ id: note.id, title: 'new title', body: 'new body' });
        await notes.expectUnchanged(session, bodied.body as OwnedItem);
      });

      it('never shows another user’s note body in the 404', async () => {
        const owner = await notes.signUp();
        const intruder = await notes.signUp();
        const note = await notes.newItem(owner, { title: 'private', body: 'secret' });
        const get = await notes.get(intruder, note.id).expect(404);
        expect(JSON.stringify(get.body)).not.toContain('secret');
      });
    });
  },
);
