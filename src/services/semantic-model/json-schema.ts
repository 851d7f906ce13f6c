/**
 * The JSON Schema of model files, generated from the zod schema so that editors (YAML language
 * server, VS Code's JSON support) check and complete the same shape the service accepts. Written
 * to schemas/semantic-model.schema.json by `npm run model:schema`; a test keeps it fresh.
 */
import { z } from 'zod';
import { semanticModelSchema } from './schema.js';

/** Where the generated file lives, relative to the repository root. */
export const JSON_SCHEMA_PATH = 'schemas/semantic-model.schema.json';

/**
 * The schema as the committed file's text. Draft-07 because it is the draft every editor
 * integration supports; `io: 'input'` describes the file as written (fields with defaults are
 * optional). Cross-references and the query combinations are checked by the checker, not here.
 */
export function semanticModelJsonSchemaText(): string {
  const schema = z.toJSONSchema(semanticModelSchema, { target: 'draft-7', io: 'input', unrepresentable: 'throw' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}
