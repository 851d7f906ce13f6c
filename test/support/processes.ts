import { spawn, type ChildProcess } from 'node:child_process';

export type Started = { child: ChildProcess; output: () => string; stop: () => Promise<void> };

/**
 * Starts a command in its own process group (npm → sh → node), collecting its output, and
 * resolves once `ready` matches it. `stop` ends the whole group.
 */
export async function startProcess(
  command: string,
  args: string[],
  { env, ready, timeoutMs = 45_000 }: { env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<Started> {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (ready.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready.test(text)) reject(new Error(`exited with ${code} before ready:\n${text}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { child, output: () => text, stop };
}

/** Runs a command to completion and returns its exit code and output. */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
    // A command that cannot be started (not on PATH, not executable) never exits: report why.
    child.once('error', (error) => resolve({ code: null, output: `${output}${String(error)}` }));
  });
}

/** The environment of this process without the service's own settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_|OPENAI_|JWT_|ALGORITHM$|APP_|PORT$|HOST$|EMBEDDED_DB_DIR$)/.test(name)) delete env[name];
  }
  return { ...env, ...extra };
}
