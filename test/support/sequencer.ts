import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification, type Vitest } from 'vitest/node';

/** Duration guesses (ms) for a file with no recorded run yet (a fresh checkout, CI). */
const FIRST_RUN_GUESS = { heavy: 12_000, integration: 3_000, unit: 300 };

/**
 * Orders the files so that a heavy one (test/support/heavy-files.ts: servers, browsers, bundlers,
 * load generators) is not due while another heavy one still runs: that one would then wait for
 * the heavy-file slot with its worker idle. It replays vitest's scheduling (the next file goes to
 * the first worker that frees up) with the durations of the previous run (guesses on a first
 * run): a freed worker takes the longest heavy file unless another worker is running one, else
 * the longest light file.
 */
export function spreadHeavyFiles(heavy: readonly string[]) {
  return class SpreadHeavyFiles extends BaseSequencer {
    constructor(private readonly vitest: Vitest) {
      super(vitest);
    }

    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
      const root = this.vitest.config.root;
      const isHeavy = (file: TestSpecification) => heavy.includes(relative(root, file.moduleId));
      const duration = (file: TestSpecification) =>
        this.vitest.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`)?.duration ??
        (isHeavy(file) ? FIRST_RUN_GUESS.heavy : file.project.name === 'unit' ? FIRST_RUN_GUESS.unit : FIRST_RUN_GUESS.integration);
      const longestFirst = (list: TestSpecification[]) => list.sort((a, b) => duration(b) - duration(a));
      // Failed files first, as vitest does, so that a fix is confirmed early.
      const failed = (file: TestSpecification) =>
        this.vitest.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`)?.failed === true;
      const heavyQueue = longestFirst(files.filter((f) => isHeavy(f) && !failed(f)));
      const lightQueue = longestFirst(files.filter((f) => !isHeavy(f) && !failed(f)));

      const workers = Array.from({ length: Math.max(1, this.vitest.config.maxWorkers ?? 1) }, () => ({ freeAt: 0, heavy: false }));
      const order = files.filter(failed);
      while (heavyQueue.length || lightQueue.length) {
        const worker = workers.reduce((first, w) => (w.freeAt < first.freeAt ? w : first));
        const otherHeavy = workers.some((w) => w !== worker && w.heavy && w.freeAt > worker.freeAt);
        const next = (!otherHeavy && heavyQueue.shift()) || lightQueue.shift() || heavyQueue.shift()!;
        worker.freeAt += duration(next);
        worker.heavy = isHeavy(next);
        order.push(next);
      }
      return order;
    }
  };
}
