import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

/**
 * Runtime specifics live in the entry files and the adapters only they choose; everything
 * else must run unchanged on Workers, Node, Bun and Deno.
 */
const RUNTIME_SPECIFIC = new Set(['src/entry/worker-hyperdrive.ts', 'src/entry/node.ts', 'src/entry/bun.ts', 'src/entry/deno.ts', 'src/entry/standalone.ts', 'src/entry/swagger-ui-files.ts', 'src/adapters/db/node-postgres.ts', 'src/adapters/db/open-node.ts', 'src/adapters/db/pglite.ts', 'src/adapters/log/stdout.ts']);
const NODE_ONLY = [
  { pattern: /from ['"]node:|import\(['"]node:/, what: 'a node: import' },
  { pattern: /\bprocess\./, what: 'process (settings come from the entry files)' },
  { pattern: /\bBuffer\b/, what: 'Buffer' },
  { pattern: /\brequire\(|__dirname|__filename/, what: 'CommonJS globals' },
  { pattern: /from ['"](pg|ws|fs|path|net|http|crypto)['"]/, what: 'a Node-only package' },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

it('keeps Node-only APIs out of the portable modules', () => {
  const offences: string[] = [];
  for (const file of sourceFiles('src')) {
    const name = relative('.', file);
    if (RUNTIME_SPECIFIC.has(name)) continue;
    // Comments may mention process.env; only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    for (const { pattern, what } of NODE_ONLY) if (pattern.test(text)) offences.push(`${name}: ${what}`);
  }
  expect(offences).toEqual([]);
});
