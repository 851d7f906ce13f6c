// npm run db:migrate — creates or updates the tables the service owns in DATABASE_URL.
import { databaseTables, LONG_STATEMENT_MS, requireDatabaseUrl, runCli } from './cli.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';

runCli(async () => {
  const tables = databaseTables();
  const db = createNodePostgresDatabase({ connectionString: requireDatabaseUrl(), statementTimeoutMs: LONG_STATEMENT_MS });
  try {
    const applied = await migrate(db, tables);
    console.log(applied.length > 0 ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
  } finally {
    await db.close();
  }
});
