import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDemoModelModule, GENERATED_DEMO_MODEL_PATH } from '../../scripts/demo-model.js';

describe('the demo model', () => {
  it('is models/demo.yaml, validated: the committed module is what `npm run build:demo-model` makes now', async () => {
    expect(readFileSync(GENERATED_DEMO_MODEL_PATH, 'utf8'), 'src/adapters/db/demo-model.generated.ts is stale: run npm run build:demo-model').toBe(
      await buildDemoModelModule(),
    );
  });
});
