import pg from 'pg';

/** Runs one statement on a maintenance connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function runAdminStatement(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
