import { Response } from 'supertest';

/**
 * Fires `count` requests at once (each built before any is awaited, so none waits for another) and answers them
 * in the order they were made.
 */
export function all(count: number, send: (index: number) => PromiseLike<Response>): Promise<Response[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => send(index)));
}

/** How many answers had each status, for a failure message that shows the whole picture. */
export function statusCounts(responses: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** The answers whose status is `status` and whose message is `message`. */
export function answered(responses: Response[], status: number, message?: string): Response[] {
  return responses.filter(
    (response) => response.status === status && (message === undefined || response.body?.message === message),
  );
}
