import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from './databases.js';

/** Finds the local PostgreSQL the suite needs, starting the machine's cluster if it is down. */
export default async function setup(): Promise<void> {
  if (await reachable()) return;
  if (existsSync('/etc/postgresql')) {
    for (const version of readdirSync('/etc/postgresql')) {
      try {
        execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
      } catch {
        // reported below if it is still unreachable
      }
    }
    for (let attempt = 0; attempt < 50 && !(await reachable()); attempt++) await new Promise((r) => setTimeout(r, 200));
  }
  if (!(await reachable())) {
    throw new Error(`PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}; start it or set TEST_POSTGRES_URL`);
  }
}

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
