const LAST_RETRY_SECONDS = 300;

/**
 * Seconds to wait after the given failed attempt (1-based): `first` (DELIVERY_RETRY_FIRST, 5 s by default),
 * doubling, at most 5 minutes.
 */
export function retryDelaySeconds(attempt: number, first = 5): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 16);
  return Math.min(first * 2 ** exponent, LAST_RETRY_SECONDS);
}
