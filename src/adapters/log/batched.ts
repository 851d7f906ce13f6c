/**
 * The server entries' log (Node, Bun, Deno): one JSON line per entry, as before, but written in
 * batches — the lines of one turn of the event loop (or 64 KiB of them) in one write — instead of
 * a console.log and a write call per line. The Worker keeps console.log: workerd's console is
 * its log sink.
 *
 * Bounded: when the output takes only part of a batch (a full pipe), the rest and new lines
 * wait, and the write is retried shortly; what waits is at most `maxBuffered` (4 MiB), past
 * which new lines are dropped and counted, and the next write starts with a line saying how many.
 * Nothing is lost on a normal shutdown: `close()` writes everything, waiting for the output, and
 * `flushSync()` is the last resort at exit. Lines always leave in order.
 *
 * No runtime APIs here: the output is a LogSink (stdout.ts).
 */

type LogEntry = Record<string, unknown>;

export type LogSink = {
  /** Writes what it can of `bytes` without blocking and returns how many it wrote (0: try later). */
  write(bytes: Uint8Array): number;
  /** Writes all of `bytes` before returning (at exit, when no event will run again). */
  writeSync(bytes: Uint8Array): void;
};

export type BatchedLogOptions = {
  sink: LogSink;
  /**
   * What is held while the output is busy — the bytes a write left over and the characters of
   * the lines waiting; lines beyond it are dropped.
   */
  maxBuffered?: number;
  /** A batch of this many characters is written at once rather than at the end of the tick. */
  flushSize?: number;
  now?: () => Date;
  /** Runs the end-of-tick flush. */
  schedule?: (flush: () => void) => void;
  /** Runs a retry when the output was full. */
  retry?: (flush: () => void) => void;
};

const DEFAULT_MAX_BUFFERED = 4 * 1024 * 1024;
const DEFAULT_FLUSH_SIZE = 64 * 1024;
const RETRY_MS = 10;

export function createBatchedLog(options: BatchedLogOptions) {
  const { sink } = options;
  const maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  const flushSize = options.flushSize ?? DEFAULT_FLUSH_SIZE;
  const now = options.now ?? (() => new Date());
  const schedule = options.schedule ?? ((flush: () => void) => void setTimeout(flush, 0));
  const retry = options.retry ?? ((flush: () => void) => void setTimeout(flush, RETRY_MS));
  const encoder = new TextEncoder();

  /**
   * Lines not yet handed to the output, and their length: counted in characters (what they take
   * in memory, give or take), encoded once per batch, which costs less than line by line.
   */
  let lines: string[] = [];
  let lineChars = 0;
  /** What the output did not take of the last write: it goes first. */
  let rest: Uint8Array = new Uint8Array(0);
  let scheduled = false;
  let retrying = false;
  /** Dropped since the last notice, and since start. */
  let dropped = 0;
  let droppedTotal = 0;
  const written: (() => void)[] = [];

  const line = (entry: LogEntry) => `${JSON.stringify({ time: now().toISOString(), ...entry })}\n`;

  /** Everything waiting, in order: the rest of the last write, the drop notice, the lines. */
  function take(): Uint8Array {
    const notice = dropped > 0 ? line({ level: 'warn', msg: 'log lines dropped', dropped }) : '';
    const text = encoder.encode(notice + lines.join(''));
    dropped = 0;
    lines = [];
    lineChars = 0;
    if (rest.length === 0) return text;
    const all = new Uint8Array(rest.length + text.length);
    all.set(rest);
    all.set(text, rest.length);
    rest = new Uint8Array(0);
    return all;
  }

  function flush(): void {
    scheduled = false;
    if (retrying || (lines.length === 0 && dropped === 0 && rest.length === 0)) return;
    const bytes = take();
    rest = bytes.subarray(sink.write(bytes));
    if (rest.length === 0) {
      for (const resolve of written.splice(0)) resolve();
      return;
    }
    retrying = true;
    retry(() => {
      retrying = false;
      flush();
    });
  }

  return {
    log(entry: LogEntry): void {
      const text = line(entry);
      if (rest.length + lineChars + text.length > maxBuffered) {
        dropped++;
        droppedTotal++;
        return;
      }
      lines.push(text);
      lineChars += text.length;
      if (lineChars >= flushSize) flush();
      else if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    /** Writes everything now and resolves once the output has taken it (or after `timeoutMs`). */
    close(timeoutMs = 2_000): Promise<void> {
      flush();
      if (rest.length === 0 && lines.length === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        written.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    /** At exit: writes what is still waiting, synchronously. */
    flushSync(): void {
      if (lines.length > 0 || dropped > 0 || rest.length > 0) sink.writeSync(take());
    },
    /** Lines dropped because the buffer was full, since start. */
    dropped: () => droppedTotal,
  };
}
