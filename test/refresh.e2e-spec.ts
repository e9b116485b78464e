import { decodeJwt, me, refresh, refreshCookie, refreshCookieLine, signUp } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { TestApp } from './support/test-app';

describeEachDatabase('refresh rotation, grace window and reuse detection', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { REFRESH_REUSE_GRACE_SECONDS: '2' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  const tokenId = (cookie: string) => decodeJwt(cookie.split('=')[1]).payload.jti as string;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('rotates: a new access token and a new refresh cookie, same family', async () => {
    const session = await signUp(app);
    const response = await refresh(app, session.cookie);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { id: session.userId },
    });
    const next = refreshCookie(response)!;
    expect(next).toBeDefined();
    expect(tokenId(next)).not.toBe(tokenId(session.cookie));
    expect(decodeJwt(next.split('=')[1]).payload.sid).toBe(
      decodeJwt(session.cookie.split('=')[1]).payload.sid,
    );
    expect(decodeJwt(response.body.accessToken).payload.sid).toBe(decodeJwt(session.accessToken).payload.sid);
    await me(app, response.body.accessToken).expect(200);
    await refresh(app, next).expect(200);
  });

  it('sets the cookie exactly as the contract says', async () => {
    const session = await signUp(app);
    const line = refreshCookieLine(session.response)!;
    expect(line).toMatch(/^refresh_token=[\w-]+\.[\w-]+\.[\w-]+;/);
    expect(line).toContain('Path=/api/auth');
    expect(line).toContain('HttpOnly');
    expect(line).toContain('Secure');
    expect(line).toContain('SameSite=Strict');
    const maxAge = Number(/Max-Age=(\d+)/.exec(line)![1]);
    expect(maxAge).toBeGreaterThan(7 * 86400 - 10);
    expect(maxAge).toBeLessThanOrEqual(7 * 86400);
    expect(JSON.stringify(session.response.body)).not.toContain(session.cookie.split('=')[1]);
  });

  it('absorbs a benign race: the parent again within the window gets the same live token', async () => {
    const session = await signUp(app);
    const first = await refresh(app, session.cookie).expect(200);
    const live = refreshCookie(first)!;
    const again = await refresh(app, session.cookie);
    expect(again.status).toBe(200);
    const reissued = refreshCookie(again)!;
    expect(tokenId(reissued)).toBe(tokenId(live));
    // The re-issued token is the live token: it rotates normally.
    await refresh(app, reissued).expect(200);
  });

  it('treats the parent after the window as reuse: family revoked, access tokens dead, cookie cleared', async () => {
    const session = await signUp(app);
    const first = await refresh(app, session.cookie).expect(200);
    const live = refreshCookie(first)!;
    await sleep(2100);
    const reuse = await refresh(app, session.cookie);
    expect(reuse.status).toBe(401);
    expect(refreshCookieLine(reuse)).toMatch(/Max-Age=0/);
    await refresh(app, live).expect(401);
    await me(app, first.body.accessToken).expect(401);
    await me(app, session.accessToken).expect(401);
    const [row] = await app.query<{ revoked_reason: string }>(
      'SELECT revoked_reason FROM sessions WHERE id = $1',
      [decodeJwt(session.accessToken).payload.sid],
    );
    expect(row.revoked_reason).toBe('reuse_detected');
  });

  it('treats a grandparent as reuse even inside the window', async () => {
    const session = await signUp(app);
    const child = refreshCookie(await refresh(app, session.cookie).expect(200))!;
    const grandchild = refreshCookie(await refresh(app, child).expect(200))!;
    await refresh(app, session.cookie).expect(401);
    await refresh(app, grandchild).expect(401);
  });

  it('lets twelve concurrent refreshes of one token all succeed with one live token id', async () => {
    const session = await signUp(app);
    const answers = await Promise.all(Array.from({ length: 12 }, () => refresh(app, session.cookie)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    const ids = new Set(answers.map((a) => tokenId(refreshCookie(a)!)));
    expect(ids.size).toBe(1);
    const sid = decodeJwt(session.accessToken).payload.sid;
    const live = await app.query(
      'SELECT id FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL',
      [sid],
    );
    expect(live).toHaveLength(1);
    for (const answer of answers) await me(app, answer.body.accessToken).expect(200);
  });

  it('stores refresh tokens by id and hash only', async () => {
    const session = await signUp(app);
    const raw = session.cookie.split('=')[1];
    const rows = await app.query<{ hash: string }>('SELECT hash FROM refresh_tokens WHERE id = $1', [
      tokenId(session.cookie),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(await app.query('SELECT * FROM refresh_tokens'));
    expect(dump).not.toContain(raw);
    expect(dump).not.toContain(raw.split('.')[2]);
  });

  it('answers 401 and clears the cookie for a missing or garbage cookie', async () => {
    const missing = await app.http().post('/api/auth/refresh');
    expect(missing.status).toBe(401);
    expect(refreshCookieLine(missing)).toMatch(/^refresh_token=;.*Max-Age=0/);
    const garbage = await refresh(app, 'refresh_token=not.a.jwt');
    expect(garbage.status).toBe(401);
    expect(refreshCookieLine(garbage)).toMatch(/Max-Age=0/);
    expect(refreshCookieLine(garbage)).toContain('Path=/api/auth');
  });
});

describeEachDatabase('refresh without a grace window', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, { env: { REFRESH_REUSE_GRACE_SECONDS: '0' } });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('lets at most one of twelve concurrent refreshes of one token succeed', async () => {
    const session = await signUp(app);
    const answers = await Promise.all(Array.from({ length: 12 }, () => refresh(app, session.cookie)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 401)).toBe(true);
  });

  it('treats the parent presented right after rotation as reuse', async () => {
    const session = await signUp(app);
    const child = refreshCookie(await refresh(app, session.cookie).expect(200))!;
    await refresh(app, session.cookie).expect(401);
    await refresh(app, child).expect(401);
  });
});
