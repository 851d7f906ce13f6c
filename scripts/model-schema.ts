/**
 * npm run model:schema — writes schemas/semantic-model.schema.json from the zod schema.
 * Run it after changing src/services/semantic-model/schema.ts and commit the result.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_PATH, semanticModelJsonSchemaText } from '../src/services/semantic-model/json-schema.js';

const target = fileURLToPath(new URL(`../${JSON_SCHEMA_PATH}`, import.meta.url));
writeFileSync(target, semanticModelJsonSchemaText());
console.log(`wrote ${JSON_SCHEMA_PATH}`);
