const FIRST_RETRY_SECONDS = 5;
const LAST_RETRY_SECONDS = 300;

/** Seconds to wait after the given failed attempt (1-based): 5 s, doubling, at most 5 minutes. */
export function retryDelaySeconds(attempt: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 16);
  return Math.min(FIRST_RETRY_SECONDS * 2 ** exponent, LAST_RETRY_SECONDS);
}
