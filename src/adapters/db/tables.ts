/**
 * The service's own tables live in one schema of their own (DATABASE_SCHEMA, default chat_api),
 * never in `public`, where the company's tables (and perhaps its own `orders`, `projects` or
 * `messages`) live. Every statement of the service names its tables through these qualified
 * names instead of relying on search_path: a connection's search_path is the deployment's, and
 * an unqualified name could silently resolve to a user table of the same name.
 */
export const DEFAULT_DATABASE_SCHEMA = 'chat_api';

/** A lower-case SQL identifier that is not a system schema: quoted, it means exactly itself. */
export const DATABASE_SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function isServiceSchemaName(name: string): boolean {
  return DATABASE_SCHEMA_PATTERN.test(name) && name !== 'public' && name !== 'information_schema' && !name.startsWith('pg_');
}

export type ServiceTables = {
  /** The schema's name, as a value (catalog lookups compare it with table_schema). */
  readonly schemaName: string;
  /** The schema, as a quoted identifier. */
  readonly schema: string;
  readonly projects: string;
  readonly conversations: string;
  readonly messages: string;
  readonly documents: string;
  readonly documentChunks: string;
  readonly schemaMigrations: string;
};

/** Qualified, quoted names of the service's tables in `schema` (validated again: these go into SQL text). */
export function serviceTables(schema: string = DEFAULT_DATABASE_SCHEMA): ServiceTables {
  if (!isServiceSchemaName(schema)) throw new Error(`DATABASE_SCHEMA "${schema}" is not a lower-case identifier of a non-system schema`);
  const s = `"${schema}"`;
  return {
    schemaName: schema,
    schema: s,
    projects: `${s}.projects`,
    conversations: `${s}.conversations`,
    messages: `${s}.messages`,
    documents: `${s}.documents`,
    documentChunks: `${s}.document_chunks`,
    schemaMigrations: `${s}.schema_migrations`,
  };
}
