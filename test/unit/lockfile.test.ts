import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

/**
 * `npm install` on a fresh clone must leave package-lock.json as it is, with the npm that comes
 * with Node 20 (npm 10) as with npm 11. npm 11 writes a `libc` field on platform-specific
 * packages; npm 10 deletes it, so a lockfile written by npm 11 changes under npm 10. Neither adds
 * the field to an entry already in the lockfile, so a lockfile without it is stable under both.
 * After `npm install <pkg>` with npm 11, drop the fields again:
 *   node -e 'const f="package-lock.json",l=JSON.parse(require("fs").readFileSync(f));for(const p of Object.values(l.packages))delete p.libc;require("fs").writeFileSync(f,JSON.stringify(l,null,2)+"\n")'
 */
it('package-lock.json has no npm-11-only `libc` fields (npm 10 would rewrite the lockfile on install)', () => {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { lockfileVersion: number; packages: Record<string, Record<string, unknown>> };
  expect(lock.lockfileVersion).toBe(3);
  const withLibc = Object.entries(lock.packages).filter(([, entry]) => 'libc' in entry).map(([name]) => name);
  expect(withLibc, 'remove the libc fields (see the comment above)').toEqual([]);
});

it('package.json and package-lock.json agree on the dependencies (npm ci would refuse otherwise)', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const root = (JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dependencies?: object; devDependencies?: object }> }).packages['']!;
  expect(root.dependencies).toEqual(pkg.dependencies);
  expect(root.devDependencies).toEqual(pkg.devDependencies);
});
