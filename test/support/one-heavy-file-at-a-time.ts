import { afterAll, beforeAll, expect } from 'vitest';
import { acquireHeavySlot, isHeavy } from './heavy-files.js';

// Setup file of the integration project: a heavy file (see heavy-files.ts) waits here, before its
// own hooks, until no other heavy file runs, and frees the slot after its own hooks have finished.
const file = expect.getState().testPath ?? '';
let slot: { release(): Promise<void> } | undefined;

beforeAll(async () => {
  if (isHeavy(file)) slot = await acquireHeavySlot(file);
}, 30 * 60_000); // at worst every other heavy file runs first

afterAll(async () => {
  await slot?.release();
});
