import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSqlParser } from '../src/services/guarded-sql/load-parser.js';
import { loadOnce } from '../src/services/guarded-sql/parser.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';

// A question the deterministic matcher leaves to the model (as in test/guarded-sql.test.ts).
const FREE_FORM = 'dame un análisis libre de los pedidos, por favor';

let test: TestDatabase;
let model: FakeOpenAI;
beforeAll(async () => {
  test = await createSeededDatabase('postgres');
  model = await new FakeOpenAI().start();
});
afterAll(async () => {
  await model?.stop();
  await test?.drop();
});

/**
 * The app given a parser loader instead of a parser (how the Worker runs, its parser being a
 * separate module): loaded by the first question to a project with guarded SQL, once; a failed
 * load leaves that question with the catalogue tools only, and the next question tries again.
 */
it('loads the parser on the first question that may need it, once, retrying after a failure', async () => {
  let attempts = 0;
  const loader = loadOnce(async () => {
    attempts += 1;
    if (attempts === 1) throw new Error('the module could not be loaded');
    return loadSqlParser();
  });
  const app = buildApp(test.db, { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', MODEL_BREAKER_FAILURES: '0' }, { sqlParser: loader });
  const toolsOfNextModelCall = async (proyecto: string) => {
    const before = model.requests.length;
    const response = await ask(app, question(FREE_FORM, proyecto));
    expect(response.status, await response.clone().text()).toBe(200);
    return (model.requests[before]!.body.tools ?? []).map((t) => t.function.name);
  };

  // tienda_norte has guarded SQL off: its questions never load the parser.
  expect(await toolsOfNextModelCall('tienda_norte')).not.toContain('run_sql');
  expect(attempts).toBe(0);

  // dashboard_miempresa has it on: the first question tries, fails, and is answered without run_sql.
  expect(await toolsOfNextModelCall('dashboard_miempresa')).not.toContain('run_sql');
  expect(attempts).toBe(1);

  // The next one loads it and may use it.
  model.script.push({ toolCalls: [{ name: 'run_sql', arguments: JSON.stringify({ sql: 'SELECT count(*)::int AS n FROM orders' }) }] }, { text: 'Resumen.' });
  const response = await ask(app, question(FREE_FORM));
  const [row] = await test.db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa'");
  expect(await response.json()).toMatchObject({ fuente: 'database', consulta: 'run_sql', datos: { rows: [{ n: row!.n }] } });
  expect(attempts).toBe(2);

  // Loaded once: later questions reuse it.
  expect(await toolsOfNextModelCall('dashboard_miempresa')).toContain('run_sql');
  expect(attempts).toBe(2);
});
