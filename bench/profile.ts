// Where the service's CPU goes, from a V8 CPU profile (node --cpu-prof): each sample goes to the
// category of its top frame's file or package. Native frames (no script: socket writes, crypto,
// JSON) are counted for the nearest JavaScript frame above them, which is the code that asked.
import { readFileSync } from 'node:fs';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };

export const CATEGORIES = ['HTTP', 'auth', 'matching', 'database driver', 'logging', 'service logic', 'garbage collection', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

/** A file of the service's source (src/…) or a package, by category. */
function categoryOfSource(file: string): Category {
  if (/^src\/(middleware\/auth|services\/auth\/)/.test(file) || /node_modules\/jose\/|node:internal\/crypto/.test(file)) return 'auth';
  if (/^src\/services\/semantic-model\/|^src\/services\/chat\/semantic/.test(file)) return 'matching';
  if (/^src\/adapters\/db\/|node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-\w+|pgpass|@neondatabase)\//.test(file)) return 'database driver';
  // standalone.ts: at run time only its log function runs per request (the rest is start-up).
  if (/^src\/(middleware\/request-log|entry\/standalone|.*\blog(ger)?\.ts$)|node_modules\/(pino|sonic-boom|thread-stream)|node:internal\/console|node:internal\/fs|node:tty|node:internal\/tty/.test(file)) return 'logging';
  if (/node:(_http|http|net|internal\/http|internal\/streams|stream|internal\/stream_base|internal\/net|internal\/dns|events|internal\/url|buffer|internal\/webstreams|internal\/deps\/undici|internal\/abort)|node_modules\/(@hono\/node-server|hono)\/|^src\/(app|errors|routes\/|middleware\/|entry\/)/.test(file)) return 'HTTP';
  if (/^src\/|node_modules\/(zod|@hono\/zod-openapi|lru-cache)\//.test(file)) return 'service logic';
  return 'other';
}

/**
 * The categories' shares of a profile's busy time (idle excluded) within `windowUs` (monotonic
 * clock µs, as process.hrtime and V8's timestamps), in ms. `bundlePath` maps a line of the
 * bundled entry (dist/node.mjs, where esbuild marks each module with `// src/…` comments) back to
 * its source file.
 */
export function summariseProfile(profilePath: string, bundlePath: string, windowUs: [number, number]): { busyMs: number; byCategory: Record<Category, number> } {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const moduleStarts: { line: number; file: string }[] = [];
  readFileSync(bundlePath, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const marker = /^\/\/ (src\/\S+\.ts)$/.exec(text);
      if (marker) moduleStarts.push({ line, file: marker[1]! });
    });
  const sourceAt = (line: number) => {
    let file = 'dist/node.mjs';
    for (const start of moduleStarts) {
      if (start.line > line) break;
      file = start.file;
    }
    return file;
  };

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const categoryOf = new Map<number, Category | 'idle'>();
  const classify = (id: number): Category | 'idle' => {
    const known = categoryOf.get(id);
    if (known) return known;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    let category: Category | 'idle';
    if (functionName === '(idle)') category = 'idle';
    else if (functionName === '(garbage collector)') category = 'garbage collection';
    else if (url) {
      const file = url.endsWith(bundlePath) ? sourceAt(lineNumber) : url.replace(/^file:\/\/.*?\/(node_modules\/)/, '$1');
      category = categoryOfSource(file);
    } else {
      const up = parent.get(id);
      category = up === undefined || byId.get(up)!.callFrame.functionName === '(root)' ? 'other' : classify(up);
    }
    categoryOf.set(id, category);
    return category;
  };

  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let busyUs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (at < windowUs[0] || at > windowUs[1]) return;
    const category = classify(id);
    if (category === 'idle') return;
    byCategory[category] += us / 1000;
    busyUs += us;
  });
  return { busyMs: busyUs / 1000, byCategory };
}
