// npm run build:demo-model — regenerates src/adapters/db/demo-model.generated.ts from models/demo.yaml.
import { writeFile } from 'node:fs/promises';
import { buildDemoModelModule, GENERATED_DEMO_MODEL_PATH } from './demo-model.js';

await writeFile(GENERATED_DEMO_MODEL_PATH, await buildDemoModelModule());
console.log(`wrote ${GENERATED_DEMO_MODEL_PATH}`);
