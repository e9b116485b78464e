import { randomBytes, randomUUID } from 'node:crypto';
import { PASSWORD, login, refresh, refreshCookie, signUp, uniqueEmail } from './support/auth-client';
import { describeEachDatabase } from './support/databases';
import { Scrape, parsePrometheusText } from './support/prometheus-text';
import { TestApp } from './support/test-app';

const METRICS_TOKEN = randomBytes(32).toString('base64url');

describeEachDatabase('metrics without METRICS_TOKEN', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind);
  });
  afterAll(() => app.stop());

  it('has no metrics route: 404 exactly as for a route that does not exist, whatever the token', async () => {
    const unknown = await app.http().get('/api/no-such-route').expect(404);
    const metrics = await app.http().get('/api/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(metrics.status).toBe(404);
    expect(metrics.body).toEqual({ ...unknown.body, message: 'Cannot GET /api/metrics' });
    expect(unknown.body.message).toBe('Cannot GET /api/no-such-route');
  });
});

describeEachDatabase('metrics with METRICS_TOKEN', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start(kind, {
      env: {
        METRICS_TOKEN,
        // A reused parent is reuse at once, so the suite need not wait out a window.
        REFRESH_REUSE_GRACE_SECONDS: '0',
        // Nobody listens there: every message stays in the outbox, waiting for a retry.
        SMTP_URL: 'smtp://127.0.0.1:1',
      },
    });
  });
  afterAll(() => app.stop());

  async function scrape(): Promise<Scrape> {
    const response = await app.http().get('/api/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    return parsePrometheusText(response.text);
  }
  const logins = (s: Scrape, outcome: string) => s.value('gatehouse_logins_total', { outcome }) ?? 0;
  const refreshes = (s: Scrape, outcome: string) => s.value('gatehouse_refresh_total', { outcome }) ?? 0;

  it('refuses a scrape without the token, with a wrong one, and with a user’s access token', async () => {
    const session = await signUp(app);
    for (const authorization of [
      undefined,
      `Bearer ${METRICS_TOKEN.slice(0, -1)}x`,
      `Bearer ${METRICS_TOKEN}${METRICS_TOKEN}`,
      `Basic ${METRICS_TOKEN}`,
      METRICS_TOKEN,
      `Bearer ${session.accessToken}`,
    ]) {
      const call = app.http().get('/api/metrics');
      const response = await (authorization === undefined ? call : call.set('Authorization', authorization));
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(response.text).not.toContain('gatehouse_');
    }
  });

  it('answers the token with the Prometheus text format, Node’s process metrics included', async () => {
    const response = await app.http().get('/api/metrics').set('Authorization', `bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    const parsed = parsePrometheusText(response.text);
    expect(parsed.types.get('gatehouse_http_requests_total')).toBe('counter');
    expect(parsed.types.get('gatehouse_http_request_duration_seconds')).toBe('histogram');
    expect(parsed.types.get('gatehouse_mail_outbox_messages')).toBe('gauge');
    expect(parsed.types.get('gatehouse_argon2_queue_wait_seconds')).toBe('histogram');
    expect(parsed.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(parsed.series('nodejs_heap_size_used_bytes')).toHaveLength(1);
    expect(parsed.value('gatehouse_argon2_queue_depth')).toBe(0);
    // Every outcome is there from the start, so a rate() has a series before the first event.
    for (const outcome of ['rotated', 'race', 'reuse', 'rejected', 'unavailable']) {
      expect(parsed.value('gatehouse_refresh_total', { outcome })).toBeDefined();
    }
    expect(parsed.value('gatehouse_db_pool_connections', { state: 'idle' }) === undefined).toBe(
      kind === 'pglite',
    );
  });

  it('counts a successful and a failed login', async () => {
    const email = uniqueEmail();
    await app.http().post('/api/auth/register').send({ email, password: PASSWORD }).expect(201);
    const before = await scrape();
    await login(app, email);
    await app
      .http()
      .post('/api/auth/login')
      .send({ email, password: `${PASSWORD}!` })
      .expect(401);
    await app.http().post('/api/auth/login').send({ email: uniqueEmail(), password: PASSWORD }).expect(401);
    const after = await scrape();
    expect(logins(after, 'succeeded') - logins(before, 'succeeded')).toBe(1);
    expect(logins(after, 'failed') - logins(before, 'failed')).toBe(2);
    expect(after.value('gatehouse_argon2_queue_wait_seconds_count')).toBeGreaterThan(
      before.value('gatehouse_argon2_queue_wait_seconds_count')!,
    );
  });

  it('counts a rotation, a refused cookie, and a reuse with the revocation it causes', async () => {
    const session = await signUp(app);
    const before = await scrape();
    const rotated = await refresh(app, session.cookie).expect(200);
    expect(refreshCookie(rotated)).toBeDefined();
    await refresh(app, 'refresh_token=not-a-token').expect(401);
    await refresh(app, session.cookie).expect(401);
    const after = await scrape();
    expect(refreshes(after, 'rotated') - refreshes(before, 'rotated')).toBe(1);
    expect(refreshes(after, 'reuse') - refreshes(before, 'reuse')).toBe(1);
    expect(refreshes(after, 'rejected') - refreshes(before, 'rejected')).toBe(1);
    const rejected = (s: Scrape) =>
      s.value('gatehouse_refresh_rejected_total', { reason: 'invalid_cookie' }) ?? 0;
    expect(rejected(after) - rejected(before)).toBe(1);
    const revoked = (s: Scrape) =>
      s.value('gatehouse_sessions_revoked_total', { reason: 'reuse_detected' }) ?? 0;
    expect(revoked(after) - revoked(before)).toBe(1);
    expect(after.value('gatehouse_revoked_sessions')).toBeGreaterThanOrEqual(1);
  });

  it('labels requests with the route template, and every unmatched path with one value', async () => {
    const session = await signUp(app);
    const missingNote = randomUUID();
    await app
      .http()
      .get(`/api/notes/${missingNote}`)
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(404);
    await app.http().get('/api/users/me').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
    await app.http().get('/api/users/me').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
    const strayPaths = [`/api/${randomUUID()}`, `/api/probe-${randomUUID()}`, `/${randomUUID()}.php`];
    for (const path of strayPaths) await app.http().get(path).expect(404);
    const scraped = await scrape();

    expect(
      scraped.value('gatehouse_http_requests_total', {
        method: 'GET',
        route: '/api/notes/:id',
        status: '404',
      }),
    ).toBe(1);
    expect(
      scraped.value('gatehouse_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/notes/:id',
      }),
    ).toBe(1);
    expect(
      scraped.value('gatehouse_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(strayPaths.length);
    const routes = new Set(scraped.series('gatehouse_http_requests_total').map((s) => s.labels.route));
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/api/')).toBe(true);
    for (const path of strayPaths) expect(routes.has(path)).toBe(false);
    expect([...routes].some((route) => route.includes(missingNote))).toBe(false);
    const cache = (result: string) =>
      scraped.value('gatehouse_verified_token_cache_lookups_total', { result }) ?? 0;
    expect(cache('hit')).toBeGreaterThanOrEqual(2);
    expect(cache('miss')).toBeGreaterThanOrEqual(1);
  });

  it('shows a message waiting in the outbox while SMTP is down', async () => {
    await signUp(app);
    const scraped = await scrape();
    expect(scraped.value('gatehouse_mail_outbox_messages')).toBeGreaterThanOrEqual(1);
    expect(scraped.value('gatehouse_mail_outbox_oldest_message_age_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('never carries a user id, an email, a token or a raw path in a label', async () => {
    const session = await signUp(app);
    const rotated = await refresh(app, session.cookie).expect(200);
    await refresh(app, session.cookie).expect(401);
    const response = await app.http().get('/api/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    const secrets = [
      session.userId,
      session.email,
      session.email.split('@')[0],
      session.accessToken,
      session.cookie.split('=')[1],
      refreshCookie(rotated)!.split('=')[1],
      rotated.body.accessToken as string,
      METRICS_TOKEN,
    ];
    for (const secret of secrets) expect(response.text).not.toContain(secret);
    const values = parsePrometheusText(response.text).samples.flatMap((s) => Object.values(s.labels));
    for (const value of values) {
      expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      expect(value).not.toContain('@');
    }
  });
});
