import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from './databases.js';

/** Finds the local PostgreSQL and Redis the suite needs, starting them if they are down. */
export default async function setup(): Promise<void> {
  await ensureRedis();
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

/** The rate-limit tests use the real Redis at 127.0.0.1:6379; start one (nothing kept on disk) if none answers. */
async function ensureRedis(): Promise<void> {
  if (await redisAnswers()) return;
  try {
    execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'], { stdio: 'inherit' });
  } catch {
    return; // the Redis tests then fail with their own clear message
  }
  for (let attempt = 0; attempt < 50 && !(await redisAnswers()); attempt++) await new Promise((r) => setTimeout(r, 100));
}

function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, '127.0.0.1');
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
