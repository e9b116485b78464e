import { PASSWORD, register, signUp, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';
import { expectNestError } from './support/expectations';

describeEachDatabase('platform conventions', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  });
  afterAll(async () => {
    await app.stop();
  });

  it('serves health with the database up', async () => {
    const response = await app.http().get('/api/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', database: 'up' });
  });

  it('answers unknown routes with a 404 in Nest error shape', async () => {
    const response = await app.http().get('/api/nope').expect(404);
    expectNestError(response.body, 404);
  });

  it('sets security headers and no X-Powered-By, on answers and on refusals alike', async () => {
    const answers = [
      await app.http().get('/api/health').expect(200),
      await app.http().get('/api/nope').expect(404),
      // Refused by the JSON-only check before any route runs.
      await app.http().post('/api/auth/login').set('Content-Type', 'text/plain').send('x').expect(415),
    ];
    for (const response of answers) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['content-security-policy']).toBeDefined();
    }
  });

  it('refuses malformed JSON with a 400 in Nest shape', async () => {
    const response = await app
      .http()
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@b.c",');
    expect(response.status).toBe(400);
    expectNestError(response.body, 400);
  });

  it('refuses an empty JSON body with a 400', async () => {
    const response = await app
      .http()
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send('');
    expect(response.status).toBe(400);
    expectNestError(response.body, 400);
  });

  it('refuses a body over 100 KB with a 413', async () => {
    const response = await app
      .http()
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(110 * 1024) }));
    expect(response.status).toBe(413);
    expectNestError(response.body, 413);
  });

  it('refuses an unsupported content type with a 4xx in Nest shape', async () => {
    const response = await app
      .http()
      .post('/api/auth/register')
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expectNestError(response.body, response.status);
  });

  const oddBodies: [string, string][] = [
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"str"'],
    ['a number', '123'],
    ['true', 'true'],
    ['an empty object', '{}'],
    ['an operator object as email', '{"email":{"$gt":""},"password":"whatever whatever"}'],
    [
      'a __proto__ key',
      '{"__proto__":{"admin":true},"email":"p@example.com","password":"a long enough passphrase"}',
    ],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"x":1}},"email":"c@example.com"}'],
    [
      'NUL bytes in the email',
      '{"email":"nul\\u0000@example.com","password":"a long enough passphrase for tests"}',
    ],
  ];
  for (const route of ['/api/auth/register', '/api/auth/login']) {
    for (const [name, body] of oddBodies) {
      it(`answers ${name} on ${route} with a 4xx, never a 5xx`, async () => {
        const response = await app.http().post(route).set('Content-Type', 'application/json').send(body);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expectNestError(response.body, response.status);
      });
    }
  }

  it('refuses NUL bytes in a display name with a 400', async () => {
    const response = await app
      .http()
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password: PASSWORD, displayName: 'bad\u0000name' });
    expect(response.status).toBe(400);
  });

  it('documents every route as needing the bearer token unless it is public', async () => {
    const doc = await app.http().get('/api/docs-json').expect(200);
    const paths = doc.body.paths as Record<
      string,
      Record<string, { security?: unknown[]; responses: object }>
    >;
    // A route of a new controller, with no decorator of its own, inherits this: documented as guarded.
    expect(doc.body.security).toEqual([{ bearer: [] }]);
    expect(paths['/api/auth/login'].post.security).toEqual([]);
    expect(paths['/api/health'].get.security).toEqual([]);
    expect(paths['/.well-known/jwks.json'].get.security).toEqual([]);
    // Public from the bearer guard, but the refresh cookie is its credential.
    expect(paths['/api/auth/refresh'].post.security).toEqual([{ refresh_token: [] }]);
    expect(paths['/api/notes'].get.security ?? doc.body.security).toEqual([{ bearer: [] }]);
  });

  it('gives every operation a unique id, a summary and its error answers', async () => {
    const doc = await app.http().get('/api/docs-json').expect(200);
    const operations = Object.values(
      doc.body.paths as Record<
        string,
        Record<string, { operationId: string; summary?: string; responses: object }>
      >,
    ).flatMap((methods) => Object.values(methods));
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const operation of operations) {
      expect({ id: operation.operationId, summary: typeof operation.summary }).toEqual({
        id: operation.operationId,
        summary: 'string',
      });
    }
    const errors = (path: string, method: string) =>
      Object.keys((doc.body.paths[path][method] as { responses: object }).responses).filter(
        (code) => code >= '400',
      );
    expect(errors('/api/auth/login', 'post')).toEqual(expect.arrayContaining(['400', '429']));
    expect(errors('/api/notes/{id}', 'get')).toEqual(expect.arrayContaining(['401', '404']));
  });

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const doc = await app.http().get('/api/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.body.paths);
    for (const path of [
      '/api/auth/register',
      '/api/auth/login',
      '/api/auth/refresh',
      '/api/auth/logout',
      '/api/auth/logout-all',
      '/api/auth/sessions',
      '/api/auth/sessions/{id}',
      '/api/auth/password',
      '/api/users/me',
      '/api/notes',
      '/api/notes/{id}',
      '/api/admin/users',
      '/api/admin/users/{id}/disable',
      '/api/admin/users/{id}/enable',
      '/api/health',
      '/api/auth/oauth/providers',
      '/api/auth/oauth/{provider}/start',
      '/api/auth/oauth/{provider}/callback',
      '/api/auth/oauth/{provider}/link',
      '/api/auth/identities',
      '/api/auth/identities/{id}',
      '/.well-known/jwks.json',
    ]) {
      expect(paths).toContain(path);
    }
    expect(doc.body.components.securitySchemes).toHaveProperty('bearer');
    expect(doc.body.components.securitySchemes).toHaveProperty('refresh_token');
    for (const schema of [
      'RegisterDto',
      'LoginDto',
      'TokenResponseDto',
      'UserDto',
      'SessionDto',
      'CreateNoteDto',
      'ErrorDto',
    ]) {
      expect(doc.body.components.schemas).toHaveProperty(schema);
    }
    const login = doc.body.paths['/api/auth/login'].post;
    expect(Object.keys(login.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429']));
    expect(doc.body.paths['/api/notes'].post.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
    expect(doc.body.paths['/api/auth/refresh'].post.security).toEqual(
      expect.arrayContaining([{ refresh_token: [] }]),
    );
    const ui = await app.http().get('/api/docs').redirects(1);
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('answers a malformed id in a path with a 400', async () => {
    const { accessToken } = await signUp(app);
    const response = await app
      .http()
      .delete('/api/auth/sessions/not-a-uuid')
      .set('Authorization', `Bearer ${accessToken}`);
    expect(response.status).toBe(400);
    expectNestError(response.body, 400);
  });

  it('keeps users across a restart on the same data', async () => {
    const email = uniqueEmail('restart');
    await register(app, email);
    await app.restart();
    const login = await app.http().post('/api/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
  });
});
