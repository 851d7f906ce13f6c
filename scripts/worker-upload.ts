import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The main bundle alone: the app without the SQL parser (which must not grow it). */
export const MAIN_BUDGET_KIB = 300;
/** Everything uploaded: the main bundle, the parser module and its WebAssembly (Workers accept 3 MiB gzip on the free plan). */
export const UPLOAD_BUDGET_KIB = 1024;

export type UploadSizes = {
  /** The main bundle's gzip size. */
  mainGzipKiB: number;
  /** Every module uploaded, gzip-compressed together as wrangler measures the upload. */
  totalGzipKiB: number;
  /** The modules besides the main bundle, by name, with their own gzip size. */
  modules: { name: string; gzipKiB: number }[];
};

const kib = (bytes: number) => bytes / 1024;

/**
 * Sizes of a Worker built by `wrangler deploy --dry-run --outdir <outdir>`: the main bundle
 * (`main`, a file in outdir) and every additional module wrangler wrote beside it (source maps,
 * wrangler's README and `ignore`d files are not uploaded). The total is gzip over all modules
 * concatenated, as wrangler prints it ("Total Upload: … / gzip: …").
 */
export function measureUpload(outdir: string, main: string, ignore: string[] = []): UploadSizes {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));
  const mainPath = join(outdir, main);
  const others = files(outdir)
    .filter((path) => path !== mainPath && !path.endsWith('.map') && relative(outdir, path) !== 'README.md' && !ignore.includes(relative(outdir, path)))
    .sort();
  const mainContent = readFileSync(mainPath);
  const contents = others.map((path) => readFileSync(path));
  return {
    mainGzipKiB: kib(gzipSync(mainContent).length),
    totalGzipKiB: kib(gzipSync(Buffer.concat([...contents, mainContent])).length),
    modules: others.map((path, i) => ({ name: relative(outdir, path), gzipKiB: kib(gzipSync(contents[i]!).length) })),
  };
}

/** Both figures on one line each, with their budgets. */
export function describeUpload(main: string, sizes: UploadSizes): string {
  const names = [main, ...sizes.modules.map((m) => m.name)].join(' + ');
  return [
    `Main bundle (${main}): ${sizes.mainGzipKiB.toFixed(1)} KiB gzip (budget ${MAIN_BUDGET_KIB} KiB)`,
    ...sizes.modules.map((m) => `  separate module ${m.name}: ${m.gzipKiB.toFixed(1)} KiB gzip`),
    `Everything uploaded (${names}): ${sizes.totalGzipKiB.toFixed(1)} KiB gzip (budget ${UPLOAD_BUDGET_KIB} KiB)`,
  ].join('\n');
}
