// npm run db:seed — loads the demo projects and orders into DATABASE_URL (replacing the demo projects' orders).
import { databaseTables, LONG_STATEMENT_MS, requireDatabaseUrl, runCli } from './cli.js';
import { migrate } from '../src/adapters/db/migrations.js';
import { createNodePostgresDatabase } from '../src/adapters/db/node-postgres.js';
import { DEMO_PROJECTS, seedDemoData } from '../src/adapters/db/seed.js';

runCli(async () => {
  const tables = databaseTables();
  const db = createNodePostgresDatabase({ connectionString: requireDatabaseUrl(), statementTimeoutMs: LONG_STATEMENT_MS });
  try {
    await migrate(db, tables);
    await seedDemoData(db, new Date(), tables);
    console.log(`Seeded ${DEMO_PROJECTS.length} demo projects: ${DEMO_PROJECTS.map((p) => p.slug).join(', ')}`);
  } finally {
    await db.close();
  }
});
