import { Response } from 'supertest';
import { PASSWORD, refresh, refreshCookie, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A login, a refresh and a bad request, logged; returns every secret they carried. */
async function loggedFlow(app: TestApp): Promise<string[]> {
  const email = uniqueEmail('formats');
  const secrets = [PASSWORD];
  const keep = (response: Response) => {
    const token = (response.body as { accessToken?: string }).accessToken;
    const cookie = refreshCookie(response)?.split('=')[1];
    for (const value of [token, cookie]) if (value) secrets.push(value, value.split('.')[2]);
  };
  await app.http().post('/api/auth/register').send({ email, password: PASSWORD }).expect(201);
  const login = await app.http().post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
  keep(login);
  const rotated = await refresh(app, refreshCookie(login)!);
  expect(rotated.status).toBe(200);
  keep(rotated);
  await app
    .http()
    .post('/api/auth/login')
    .set('Authorization', `Bearer ${login.body.accessToken}`)
    .set('Cookie', `refresh_token=${refreshCookie(rotated)}`)
    .send({ email, password: PASSWORD, extra: 'not allowed' })
    .expect(400);
  await sleep(50);
  return secrets;
}

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describeEachDatabase('log formats', (kind) => {
  it('with LOG_FORMAT=pretty writes human-readable lines, secrets still redacted', async () => {
    const app = await TestApp.start(kind, { env: { LOG_FORMAT: 'pretty' } });
    try {
      const secrets = await loggedFlow(app);
      const lines = app.logs.lines;
      expect(lines.length).toBeGreaterThanOrEqual(4);
      for (const line of lines) expect(isJson(line)).toBe(false);
      // A level word and the request's method, path and status, as a person reads them.
      const loginLine = lines.find((line) => line.includes('"/api/auth/login"') && line.includes('200'));
      expect(loginLine).toMatch(/INFO/);
      expect(lines.some((line) => /WARN/.test(line) && line.includes('400'))).toBe(true);
      for (const secret of secrets) {
        expect({
          secret: secret.slice(0, 12),
          leaking: lines.filter((line) => line.includes(secret)),
        }).toEqual({ secret: secret.slice(0, 12), leaking: [] });
      }
    } finally {
      await app.stop();
    }
  }, 60_000);

  it('with LOG_FORMAT=json writes one JSON object per line', async () => {
    const app = await TestApp.start(kind, { env: { LOG_FORMAT: 'json' } });
    try {
      const secrets = await loggedFlow(app);
      expect(app.logs.lines.length).toBeGreaterThanOrEqual(4);
      for (const line of app.logs.lines) expect(isJson(line)).toBe(true);
      for (const secret of secrets)
        expect(app.logs.lines.filter((line) => line.includes(secret))).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 60_000);
});
