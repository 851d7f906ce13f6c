import { DatabaseUnavailableError } from '../adapters/db/database.js';

export type GroupCommitOptions<T> = {
  /** Writes a batch in one statement (one commit); throws when it could not. */
  write: (items: T[]) => Promise<void>;
  /** Batches written at once: more items than this wait and go together in the next batch. */
  maxInFlight: number;
  /** Items per statement. */
  maxItems: number;
  /** Bytes per statement (`sizeOf` summed): an item larger than this goes alone. */
  maxBytes: number;
  sizeOf: (item: T) => number;
};

type Waiting<T> = { item: T; size: number; resolve: () => void; reject: (error: unknown) => void };

/**
 * Group commit: writes that arrive while earlier ones are in flight wait and are written
 * together, in one statement and one commit, so under load many requests share a round trip,
 * and a lone write is sent at once (no added latency when idle). Each caller's promise settles
 * only when its own item is durably written (or failed). When a batch fails with a statement
 * error, its items are written one by one so that one bad item fails only its own caller; when
 * the database is unreachable every item of the batch fails at once.
 * The queue is bounded by the requests waiting on it: each caller waits for its own item.
 */
export function createGroupCommit<T>(options: GroupCommitOptions<T>): (item: T) => Promise<void> {
  const queue: Waiting<T>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function take(): Waiting<T>[] {
    const batch: Waiting<T>[] = [];
    let bytes = 0;
    while (queue.length > 0 && batch.length < options.maxItems) {
      const next = queue[0]!;
      if (batch.length > 0 && bytes + next.size > options.maxBytes) break;
      batch.push(queue.shift()!);
      bytes += next.size;
    }
    return batch;
  }

  async function run(batch: Waiting<T>[]): Promise<void> {
    try {
      await options.write(batch.map((waiting) => waiting.item));
      for (const waiting of batch) waiting.resolve();
    } catch (error) {
      if (batch.length === 1 || error instanceof DatabaseUnavailableError) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      await Promise.all(batch.map((waiting) => options.write([waiting.item]).then(waiting.resolve, waiting.reject)));
    }
  }

  function pump(): void {
    scheduled = false;
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = take();
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, size: options.sizeOf(item), resolve, reject });
      // Writes queued in the same turn of the event loop go together even when a slot is free.
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(pump);
      }
    });
}
