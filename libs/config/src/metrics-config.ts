import { EnvReader } from './env-reader';

const MIN_METRICS_TOKEN_LENGTH = 32;

/**
 * METRICS_TOKEN (or METRICS_TOKEN_FILE): the bearer token a Prometheus scraper presents at `GET /api/metrics`.
 * Unset: the route does not exist. Long enough that guessing it over HTTP is hopeless.
 */
export function readMetrics(env: EnvReader): { token?: string } {
  const source = env.keySource('METRICS_TOKEN');
  if (!source) return {};
  // A file usually ends with a newline; the scraper's header never carries it.
  const token = source.pem.trim();
  if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) {
    return env.fail(
      source.variable,
      `must be at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces (use random ones)`,
      {},
    );
  }
  return { token };
}
