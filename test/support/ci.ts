/**
 * True when the suite runs as CI: `CI` set to anything but `false`/`0` (CI services set
 * `CI=true`, and `.ci/run` is run with it). In CI nothing the suite covers may be skipped.
 */
export const IN_CI = (() => {
  const value = process.env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
})();

/**
 * Something a test needs cannot run on this machine. In CI that fails the test, with `reason`
 * and how to fix it; elsewhere the caller skips, after a warning nobody can miss. Returns the
 * reason for `ctx.skip(reason)`.
 */
export function unavailable(what: string, reason: string, fix: string): string {
  const message = `${what} cannot run here: ${reason}`;
  if (IN_CI) {
    throw new Error(`${message}\nCI=${process.env.CI}: in CI every part of the suite must run, so this fails instead of skipping. ${fix}`);
  }
  console.warn(
    `\n${'!'.repeat(100)}\n! SKIPPED: ${message}\n! ${fix}\n! (with CI=true, as in .ci/run, this is a failure)\n${'!'.repeat(100)}\n`,
  );
  return message;
}
