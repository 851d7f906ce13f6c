/**
 * Polls `condition` until it holds. For effects that land "soon" (a key expiring, a log line
 * written, a socket closed): waiting on the effect itself instead of a sleep a hair longer than
 * it usually takes. The deadline only turns a condition that never holds into a clear failure.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 10, what = 'the condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  // performance.now, not Date: tests that control Date still get a real deadline.
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
