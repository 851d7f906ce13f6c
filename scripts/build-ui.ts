// npm run build:ui — regenerates src/ui/client.generated.ts from src/ui/client/*.ts.
import { writeFile } from 'node:fs/promises';
import { buildClientModule, GENERATED_PATH } from './ui-client.js';

await writeFile(GENERATED_PATH, await buildClientModule());
console.log(`wrote ${GENERATED_PATH}`);
