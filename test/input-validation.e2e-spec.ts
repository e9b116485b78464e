import { Response } from 'supertest';
import { LoggedIn, PASSWORD, signUp, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { expectNestError } from './support/expectations';
import { TestApp } from './support/test-app';

type Method = 'post' | 'patch';

interface BodyRoute {
  name: string;
  method: Method;
  path: string;
  /** A body the route would accept as JSON, so only its media type can be the reason for a refusal. */
  body: () => Record<string, string>;
}

describeEachDatabase('input validation: JSON bodies only, no nulls where none are allowed', (kind) => {
  let app: TestApp;
  let owner: LoggedIn;
  let noteId: string;

  beforeAll(async () => {
    app = await TestApp.start(kind);
    owner = await signUp(app);
    const created = await app
      .http()
      .post('/api/notes')
      .set('Authorization', `Bearer ${owner.accessToken}`)
      .send({ title: 'kept', body: 'as it was' })
      .expect(201);
    noteId = created.body.id;
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  const bearer = () => `Bearer ${owner.accessToken}`;

  /** Every row a refused request could have touched. */
  async function databaseState(): Promise<Record<string, unknown[]>> {
    return {
      users: await app.query(
        'SELECT id, email, password_hash, display_name, updated_at FROM users ORDER BY id',
      ),
      notes: await app.query('SELECT * FROM notes ORDER BY id'),
      sessions: await app.query('SELECT id FROM sessions ORDER BY id'),
      refreshTokens: await app.query('SELECT id FROM refresh_tokens ORDER BY id'),
    };
  }

  /** Sends a request and checks that it changed nothing in the database. */
  async function expectNoChange<T>(send: () => PromiseLike<T>): Promise<T> {
    const before = await databaseState();
    const response = await send();
    expect(await databaseState()).toEqual(before);
    return response;
  }

  const routes: BodyRoute[] = [
    {
      name: 'POST /api/auth/login',
      method: 'post',
      path: '/api/auth/login',
      body: () => ({ email: owner.email, password: PASSWORD }),
    },
    {
      name: 'POST /api/auth/register',
      method: 'post',
      path: '/api/auth/register',
      body: () => ({ email: uniqueEmail('form'), password: PASSWORD }),
    },
    { name: 'POST /api/notes', method: 'post', path: '/api/notes', body: () => ({ title: 'from a form' }) },
    {
      name: 'PATCH /api/notes/:id',
      method: 'patch',
      path: '/api/notes/:id',
      body: () => ({ title: 'from a form' }),
    },
    {
      name: 'PATCH /api/users/me',
      method: 'patch',
      path: '/api/users/me',
      body: () => ({ displayName: 'from a form' }),
    },
  ];

  const requestTo = (route: BodyRoute) =>
    app.http()[route.method](route.path.replace(':id', noteId)).set('Authorization', bearer());

  function expectUnsupportedMediaType(response: Response): void {
    expect(response.status).toBe(415);
    expectNestError(response.body, 415);
    expect(response.body.error).toBe('Unsupported Media Type');
    expect(response.headers['set-cookie']).toBeUndefined();
  }

  describe('a body that is not application/json answers 415 and changes nothing', () => {
    for (const route of routes) {
      it(`${route.name}: a form-encoded body`, async () => {
        const response = await expectNoChange(() => requestTo(route).type('form').send(route.body()));
        expectUnsupportedMediaType(response);
      });

      it(`${route.name}: a text/plain body holding JSON`, async () => {
        const response = await expectNoChange(() =>
          requestTo(route).set('Content-Type', 'text/plain').send(JSON.stringify(route.body())),
        );
        expectUnsupportedMediaType(response);
      });

      it(`${route.name}: a multipart form`, async () => {
        const response = await expectNoChange(() => {
          const multipart = requestTo(route);
          for (const [name, value] of Object.entries(route.body())) void multipart.field(name, value);
          return multipart;
        });
        expectUnsupportedMediaType(response);
      });
    }

    it('POST /api/auth/login: a body with no content type', async () => {
      const response = await expectNoChange(() =>
        app.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: JSON.stringify({ email: owner.email, password: PASSWORD }),
        }),
      ).then((reply) => ({ status: reply.statusCode, body: reply.json(), headers: reply.headers }));
      expect(response.status).toBe(415);
      expectNestError(response.body, 415);
      expect(response.headers['set-cookie']).toBeUndefined();
    });

    it('PATCH /api/notes/:id: application/merge-patch+json, whose null would mean "remove"', async () => {
      const response = await expectNoChange(() =>
        requestTo(routes[3])
          .set('Content-Type', 'application/merge-patch+json')
          .send(JSON.stringify({ title: 'merged' })),
      );
      expectUnsupportedMediaType(response);
    });
  });

  describe('application/json is accepted, with or without charset=utf-8', () => {
    for (const contentType of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON; Charset=UTF-8',
    ]) {
      it(`logs in with Content-Type: ${contentType}`, async () => {
        const response = await app
          .http()
          .post('/api/auth/login')
          .set('Content-Type', contentType)
          .send(JSON.stringify({ email: owner.email, password: PASSWORD }));
        expect(response.status).toBe(200);
        expect(response.headers['set-cookie']).toBeDefined();
      });
    }

    it('still accepts a bodiless POST with no content type (refresh)', async () => {
      const response = await app.http().post('/api/auth/refresh').set('Cookie', owner.cookie);
      expect(response.status).not.toBe(415);
    });
  });

  describe('null for a property that is not nullable answers 400 and changes nothing', () => {
    const cases: { name: string; send: () => Promise<Response>; property: string }[] = [
      {
        name: 'POST /api/notes {title: null}',
        property: 'title',
        send: () => app.http().post('/api/notes').set('Authorization', bearer()).send({ title: null }),
      },
      {
        name: 'POST /api/notes {body: null}',
        property: 'body',
        send: () =>
          app.http().post('/api/notes').set('Authorization', bearer()).send({ title: 'x', body: null }),
      },
      {
        name: 'PATCH /api/notes/:id {title: null}',
        property: 'title',
        send: () =>
          app.http().patch(`/api/notes/${noteId}`).set('Authorization', bearer()).send({ title: null }),
      },
      {
        name: 'PATCH /api/notes/:id {body: null}',
        property: 'body',
        send: () =>
          app.http().patch(`/api/notes/${noteId}`).set('Authorization', bearer()).send({ body: null }),
      },
      {
        name: 'POST /api/auth/login {email: null}',
        property: 'email',
        send: () => app.http().post('/api/auth/login').send({ email: null, password: PASSWORD }),
      },
      {
        name: 'POST /api/auth/login {password: null}',
        property: 'password',
        send: () => app.http().post('/api/auth/login').send({ email: owner.email, password: null }),
      },
      {
        name: 'POST /api/auth/register {email: null}',
        property: 'email',
        send: () => app.http().post('/api/auth/register').send({ email: null, password: PASSWORD }),
      },
      {
        name: 'POST /api/auth/register {password: null}',
        property: 'password',
        send: () => app.http().post('/api/auth/register').send({ email: uniqueEmail(), password: null }),
      },
      {
        name: 'POST /api/auth/register {displayName: null} (optional, not nullable)',
        property: 'displayName',
        send: () =>
          app
            .http()
            .post('/api/auth/register')
            .send({ email: uniqueEmail(), password: PASSWORD, displayName: null }),
      },
    ];
    for (const { name, send, property } of cases) {
      it(name, async () => {
        const response = await expectNoChange(send);
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
        expect(response.body.message).toEqual([`${property} must not be null`]);
        expect(response.headers['set-cookie']).toBeUndefined();
      });
    }
  });

  describe('displayName is nullable: null clears it', () => {
    it('PATCH /api/users/me {displayName: null} answers 200 with displayName null, stored as NULL', async () => {
      const session = await signUp(app);
      const me = () =>
        app.http().patch('/api/users/me').set('Authorization', `Bearer ${session.accessToken}`);
      await me().send({ displayName: 'Ada' }).expect(200);
      const response = await me().send({ displayName: null });
      expect(response.status).toBe(200);
      expect(response.body.displayName).toBeNull();
      const [row] = await app.query<{ display_name: string | null }>(
        'SELECT display_name FROM users WHERE id = $1',
        [session.userId],
      );
      expect(row.display_name).toBeNull();
    });

    it('the OpenAPI document marks displayName nullable there, and the note fields not', async () => {
      const doc = await app.http().get('/api/docs-json').expect(200);
      const schemas = doc.body.components.schemas;
      expect(schemas.UpdateMeDto.properties.displayName.nullable).toBe(true);
      for (const schema of ['CreateNoteDto', 'UpdateNoteDto']) {
        expect(schemas[schema].properties.title.nullable).toBeUndefined();
        expect(schemas[schema].properties.body.nullable).toBeUndefined();
      }
    });
  });

  describe('a body nested thousands of levels deep answers 400 and changes nothing', () => {
    const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

    it('POST /api/auth/password/reset with a token 20,000 arrays deep (once a 500: the stack overflowed)', async () => {
      const response = await expectNoChange(() =>
        app
          .http()
          .post('/api/auth/password/reset')
          .set('Content-Type', 'application/json')
          .send(`{"token":${deep(20_000)},"newPassword":"${PASSWORD}"}`),
      );
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      expect(response.body.message).toMatch(/nests deeper than 32 levels/);
    });

    for (const route of routes) {
      it(`${route.name}: its first property 5,000 objects deep`, async () => {
        const [first, ...rest] = Object.entries(route.body());
        const tail = rest.map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('');
        const response = await expectNoChange(() =>
          requestTo(route)
            .set('Content-Type', 'application/json')
            .send(`{${JSON.stringify(first[0])}:${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}${tail}}`),
        );
        expect(response.status).toBe(400);
        expectNestError(response.body, 400);
      });
    }
  });

  describe('text that is not valid Unicode (a lone surrogate) answers 400 and changes nothing', () => {
    it('POST /api/auth/register with an email "\\ud800" (once a 500: the email validator threw)', async () => {
      const response = await expectNoChange(() =>
        app
          .http()
          .post('/api/auth/register')
          .set('Content-Type', 'application/json')
          .send(`{"email":"\\ud800","password":"${PASSWORD}"}`),
      );
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      expect(response.body.message).toMatch(/not valid Unicode/);
    });

    it('POST /api/notes with a title "a\\udfffb", which would be stored as a replacement character', async () => {
      const response = await expectNoChange(() =>
        app
          .http()
          .post('/api/notes')
          .set('Authorization', bearer())
          .set('Content-Type', 'application/json')
          .send('{"title":"a\\udfffb"}'),
      );
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
    });
  });

  describe('a path the router cannot take answers in Nest’s shape, without echoing it', () => {
    it('a note id of 4,000 characters: 400, as any malformed id (once Fastify’s 414 FST_ERR_MAX_PARAM_LENGTH, with the path in it)', async () => {
      const id = 'a'.repeat(4_000);
      const response = await app.http().get(`/api/notes/${id}`).set('Authorization', bearer());
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      expect(JSON.stringify(response.body)).not.toContain('aaaa');
    });

    it('a note id that does not percent-decode: 400', async () => {
      const response = await app.http().get('/api/notes/%E0%A4%A').set('Authorization', bearer());
      expect(response.status).toBe(400);
      expectNestError(response.body, 400);
      expect(JSON.stringify(response.body)).not.toContain('%E0');
    });
  });
});
