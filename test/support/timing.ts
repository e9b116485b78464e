const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Milliseconds `request` takes to answer. */
export async function millisecondsOf(request: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await request();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * The medians of `rounds` timings of two kinds of request, taken in alternating order, so neither kind is always
 * timed in the other's wake. Each function times one request of its kind (for round `i`) and returns the
 * milliseconds; it may wait before or after, for the work a request leaves behind to be done.
 */
export async function alternatingMedians(
  rounds: number,
  timeKnown: (round: number) => Promise<number>,
  timeUnknown: (round: number) => Promise<number>,
): Promise<{ knownMs: number; unknownMs: number }> {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const pair =
      round % 2 === 0
        ? [async () => known.push(await timeKnown(round)), async () => unknown.push(await timeUnknown(round))]
        : [
            async () => unknown.push(await timeUnknown(round)),
            async () => known.push(await timeKnown(round)),
          ];
    for (const time of pair) await time();
  }
  return { knownMs: median(known), unknownMs: median(unknown) };
}

/** The two medians are within twice each other, with a millisecond for the timer's own noise at a few ms. */
export function expectComparable(medians: { knownMs: number; unknownMs: number }): void {
  const [faster, slower] = [medians.knownMs, medians.unknownMs].sort((a, b) => a - b);
  expect({ ...medians, withinTwice: slower <= 2 * faster + 1 }).toEqual({ ...medians, withinTwice: true });
}
