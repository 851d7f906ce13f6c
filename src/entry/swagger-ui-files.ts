import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SwaggerUiAssets, SwaggerUiFile } from '../routes/docs/swagger-ui.js';

/**
 * Swagger UI's files from the installed swagger-ui-dist package (Node, Bun and Deno read
 * node_modules), each read once on first use and kept in memory (about 1.9 MB in all).
 */
export function swaggerUiFiles(): SwaggerUiAssets {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('swagger-ui-dist/package.json');
  const { version } = require(manifest) as { version: string };
  const dir = dirname(manifest);
  const cache = new Map<SwaggerUiFile, Promise<Uint8Array>>();
  return {
    version,
    read(file) {
      let content = cache.get(file);
      if (!content) {
        content = readFile(join(dir, file)).then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
        content.catch(() => cache.delete(file));
        cache.set(file, content);
      }
      return content;
    },
  };
}
