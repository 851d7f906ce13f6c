import { writeSync } from 'node:fs';
import { createBatchedLog, type BatchedLogOptions, type LogSink } from './batched.js';

/** How long the exit flush keeps retrying a full pipe before giving up (the process is ending). */
const EXIT_WRITE_MS = 1_000;
const STDOUT = 1;

/**
 * The batched log on this process's stdout, written with `node:fs` (Node, Bun and Deno all have
 * it) straight to file descriptor 1: writes go out in order, and at exit whatever is still
 * waiting is written synchronously (`process.stdout` would keep part of a write in its own queue
 * and drop it at exit). Callers that can wait should `close()` first.
 */
export function createStdoutLog(options: Omit<BatchedLogOptions, 'sink'> = {}) {
  const sink: LogSink = {
    write: (bytes) => {
      try {
        return writeSync(STDOUT, bytes);
      } catch (error) {
        if (isErrno(error, 'EAGAIN')) return 0; // a full non-blocking pipe: try again shortly
        return bytes.length; // EPIPE and the like: nobody reads any more; the lines are gone
      }
    },
    writeSync: (bytes) => {
      const giveUp = Date.now() + EXIT_WRITE_MS;
      while (bytes.length > 0 && Date.now() < giveUp) {
        try {
          bytes = bytes.subarray(writeSync(STDOUT, bytes));
        } catch (error) {
          if (!isErrno(error, 'EAGAIN')) return;
        }
      }
    },
  };
  const log = createBatchedLog({ ...options, sink });
  process.once('exit', log.flushSync);
  return log;
}

const isErrno = (error: unknown, code: string) => (error as { code?: unknown } | null)?.code === code;
