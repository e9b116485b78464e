/** Nest's error shape, with nothing internal in it: no stack, no SQL, no framework error codes. */
export function expectNestError(body: Record<string, unknown>, status: number): void {
  expect(body.statusCode).toBe(status);
  expect(typeof body.error).toBe('string');
  expect(typeof body.message === 'string' || Array.isArray(body.message)).toBe(true);
  expect(JSON.stringify(body)).not.toMatch(/FST_|stack|at \w+ \(|SELECT|INSERT|QueryFailed|node_modules/);
}
