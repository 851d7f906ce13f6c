import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Integration files that start servers, browsers, bundlers or load generators: each can keep the
 * two cores of a small machine busy by itself, so no two of them run at the same time.
 */
export const HEAVY_FILES = [
  'test/bench-smoke.test.ts',
  'test/durability.test.ts',
  'test/faults.test.ts',
  'test/memory.test.ts',
  'test/node-entry.test.ts',
  'test/runtimes.test.ts',
  'test/startup-errors.test.ts',
  'test/ui.e2e.test.ts',
  'test/worker-bundle.test.ts',
  'test/worker.test.ts',
];

export const isHeavy = (file: string) => HEAVY_FILES.includes(relative(ROOT, file));

/**
 * Waits until no other heavy file of this checkout runs, then holds the slot until `release()`.
 * The slot is a Unix socket in Linux's abstract namespace: the kernel frees it when its process
 * ends, so a crashed or killed test file never leaves a stale lock behind. Elsewhere (no abstract
 * namespace) there is no slot and only the sequencer's ordering keeps heavy files apart.
 */
export async function acquireHeavySlot(file: string): Promise<{ release(): Promise<void> }> {
  if (process.platform !== 'linux') return { release: async () => {} };
  const name = `\0chat-api-heavy-tests-${createHash('sha256').update(ROOT).digest('hex').slice(0, 16)}`;
  for (let waitingSince: number | undefined; ; ) {
    const server = await listen(name);
    if (server) {
      if (waitingSince !== undefined) console.info(`${relative(ROOT, file)} waited ${Date.now() - waitingSince} ms for another heavy test file`);
      return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    }
    waitingSince ??= Date.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Listens on `name`; undefined when another process holds it. */
function listen(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen(name, () => {
      server.unref(); // holding the slot never keeps a test process alive
      resolve(server);
    });
  });
}
