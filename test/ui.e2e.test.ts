import { serve, type ServerType } from '@hono/node-server';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swaggerUiFiles } from '../src/entry/swagger-ui-files.js';
import { ask, buildApp, question } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessToken } from './support/tokens.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

type Rows = Record<string, unknown>[];
type Answer = { respuesta: string; consulta?: string; datos?: { rows?: Rows; count?: number } };

/**
 * The chat page and /docs in Debian's headless Chromium, against the app on loopback with a local
 * model. The browser has no network: every request that is not to these servers is refused and
 * recorded. Screenshots go to artifacts/ui/ (or UI_ARTIFACTS_DIR), to be looked at.
 */
describe('the chat page in a real browser', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let app: ReturnType<typeof buildApp>;
  const servers: ServerType[] = [];
  /** Node, Bun, Deno: Swagger UI's files served by the app; a model configured. */
  let base: string;
  /** Workers-like: no Swagger UI files (pinned CDN URL, unreachable here) and no model configured. */
  let bare: string;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const external: string[] = [];
  const shots = resolve(process.env.UI_ARTIFACTS_DIR ?? 'artifacts/ui');
  mkdirSync(shots, { recursive: true });

  const listen = (fetch: (request: Request) => Response | Promise<Response>) =>
    new Promise<string>((done) => {
      servers.push(serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => done(`http://127.0.0.1:${info.port}`)));
    });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: the end-to-end UI test needs Debian's chromium package ` +
          '(apt-get install -y --no-install-recommends chromium; .ci/run installs it).',
      );
    }
    test = await createSeededDatabase('embedded');
    model = await new FakeOpenAI().start();
    model.chunkDelayMs = 20;
    const settings = { OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: model.baseURL, OPENAI_MAX_RETRIES: '0', MODEL_BREAKER_FAILURES: '0', DOCUMENT_ADMIN_USER_IDS: '1' };
    app = buildApp(test.db, settings, { swaggerUiAssets: swaggerUiFiles() });
    // A project document, so the general question is answered from it, with a citation.
    const uploaded = await app.request('/api/v1/proyectos/conocimiento_general/documentos', {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ titulo: 'Glosario logístico', tipo: 'text/markdown', contenido: '# Orden inbound\n\nUna orden inbound es la entrada de mercancía al almacén.' }),
    });
    expect(uploaded.status).toBe(201);
    base = await listen(app.fetch);
    bare = await listen(buildApp(test.db, { DOCUMENT_ADMIN_USER_IDS: '1' }, { model: null }).fetch);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });
  // beforeAll may have stopped anywhere (no Chromium, no database): undo only what was started,
  // and let every step run even when an earlier one fails.
  afterAll(async () => {
    const steps = [
      ...contexts.map((context) => () => context.close()),
      () => browser?.close(),
      ...servers.map((server) => () => new Promise<void>((done) => server.close(() => done()))),
      () => model?.stop(),
      () => test?.drop(),
    ];
    const failures: unknown[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    }
    console.log(`chat page screenshots: ${shots}`);
    if (failures.length > 0) throw new AggregateError(failures, 'cleaning up after the chat page tests failed');
  });

  /** A fresh browser profile in a language, with no network beyond the test servers; the page's CSP violations and errors are collected. */
  async function openPage(locale: string, viewport = DESKTOP) {
    const context = await browser!.newContext({ locale, viewport, acceptDownloads: true });
    contexts.push(context);
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith(bare) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      external.push(url);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    return { context, page, violations };
  }

  const lastAnswer = (page: Page) => page.locator('#log .msg.bot').last();

  async function waitForAnswer(page: Page) {
    await page.locator('#log .msg.bot[data-done]').last().waitFor();
    await expect.poll(() => lastAnswer(page).getAttribute('data-done')).toBe('1');
    // pinned to this answer: later questions add more
    return page.locator('#log .msg.bot').nth((await page.locator('#log .msg.bot').count()) - 1);
  }

  async function askAndWait(page: Page, text: string) {
    await page.locator('#q').fill(text);
    await page.locator('#q').press('Enter');
    return waitForAnswer(page);
  }

  async function signIn(page: Page, buttonName: string, token = accessToken(1)) {
    await page.locator('#token').fill(token);
    await page.getByRole('button', { name: buttonName, exact: true }).click();
    await page.locator('#who').waitFor();
  }

  /** The same question asked of the API directly (as another user, so the page's side list stays as it is): the data the page must show. */
  async function apiAnswer(text: string, proyecto = 'dashboard_miempresa'): Promise<Answer> {
    const response = await ask(app, question(text, proyecto, '99'), { token: accessToken(99) });
    expect(response.status).toBe(200);
    return (await response.json()) as Answer;
  }

  const noHorizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  it('in Spanish: opens on a project that answers, its suggested questions answer the seed question, remembers the project, streams a model answer', async () => {
    const { page, violations } = await openPage('es-ES');
    await page.goto(`${base}/`);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    expect(await page.locator('#q').isDisabled()).toBe(true);
    // the first screen says how to start
    expect(await page.locator('#intro h2').textContent()).toBe('Empieza con un token de acceso');
    await page.screenshot({ path: join(shots, 'es-desktop-1-start.png') });

    // paste the token: the projects load, the page opens on one that answers from its data
    const token = accessToken(1);
    await signIn(page, 'Usar token', token);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('project');
    const options = await page.locator('#project option').evaluateAll((all) => all.map((o) => (o as HTMLOptionElement).value));
    expect(options).toContain('conocimiento_general');
    expect(options).not.toContain('finanzas_direccion');
    expect(await page.locator('#project').inputValue()).toBe('dashboard_miempresa');
    // its suggested questions, in Spanish, as the API lists them
    const listed = (await (await app.request('/api/v1/proyectos?idioma=es', { headers: { Authorization: `Bearer ${token}` } })).json()) as {
      proyecto: string;
      sugerencias?: string[];
    }[];
    const suggestions = listed.find((p) => p.proyecto === 'dashboard_miempresa')!.sugerencias!;
    expect(await page.locator('#intro h2').textContent()).toBe('¿Qué quieres saber de Dashboard MiEmpresa?');
    expect(await page.locator('#intro .chip').allTextContents()).toEqual(suggestions);
    await page.screenshot({ path: join(shots, 'es-desktop-2-suggestions.png') });
    // kept for this tab only, never in the URL
    expect(await page.evaluate(() => sessionStorage.getItem('chat-api-token'))).toBe(token);
    expect(await page.evaluate(() => Object.values(localStorage))).not.toContain(token);
    expect(page.url()).not.toContain(token);

    // the seed question, from its chip: the count the database has
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    await page.locator('#intro .chip', { hasText: '¿Cuántas órdenes pendientes hay?' }).click();
    const counted = await waitForAnswer(page);
    expect(await counted.getAttribute('class')).not.toContain('err');
    expect(await counted.locator('.text').textContent()).toBe(`Hay ${row!.n} órdenes pendientes.`);
    expect(await counted.locator('dl dt').first().textContent()).toBe('Número');
    expect(await counted.locator('dl dd').first().textContent()).toBe(new Intl.NumberFormat('es-ES').format(row!.n));
    expect(await page.locator('#intro').isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
    // another suggestion, typed: an amount, formatted the Spanish way
    const sold = await askAndWait(page, '¿Cuánto vendimos este mes?');
    const total = (await apiAnswer('¿Cuánto vendimos este mes?')).datos as { total: number };
    expect(await sold.locator('dl dd').first().textContent()).toBe(new Intl.NumberFormat('es-ES', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(total.total));
    // rows come as a table with the model's labels, values and dates in Spanish, in the same conversation
    const latest = await askAndWait(page, 'Últimas 5 órdenes');
    const table = latest.locator('table');
    expect(await table.locator('tbody tr').count()).toBe(5);
    expect(await table.locator('thead th').allTextContents()).toEqual(expect.arrayContaining(['Estado', 'Cliente', 'Fecha', 'Importe']));
    const statuses = await table.locator('tbody td:nth-child(2)').allTextContents();
    expect(statuses.every((s) => ['Pendiente', 'Enviada', 'Entregada', 'Cancelada'].includes(s)), statuses.join()).toBe(true);
    // the conversation appears in the side list, its date whole and in Spanish
    await expect.poll(() => page.locator('#history button').first().textContent()).toContain('¿Cuántas órdenes pendientes hay?');
    const stamp = (await page.locator('#history button small').first().textContent())!;
    expect(stamp).toMatch(/^Dashboard MiEmpresa · \d{1,2}\/\d{1,2}\/\d{2}, \d{1,2}:\d{2}$/);
    expect(await page.locator('#history button small').first().evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);

    // a general question in the knowledge project: the model's answer streams in
    await page.locator('#project').selectOption('conocimiento_general');
    expect(await page.locator('#intro h2').textContent()).toBe('¿Qué quieres saber de Conocimiento general?');
    expect(await page.locator('#intro').textContent()).toContain('escribe la tuya');
    await page.locator('#q').fill('Explícame qué es una orden inbound');
    await page.locator('#q').press('Enter');
    const streaming = lastAnswer(page);
    // seen mid-stream: part of the text, not finished yet
    await expect.poll(async () => ((await streaming.locator('.text').textContent()) ?? '').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await streaming.getAttribute('data-done')).toBeNull();
    await expect.poll(() => streaming.getAttribute('data-done'), { timeout: 10_000 }).toBe('1');
    expect(await streaming.locator('.text').textContent()).toBe('Respuesta del modelo a: Explícame qué es una orden inbound');
    expect(await streaming.getAttribute('class')).not.toContain('err');
    expect(await streaming.locator('ol.cites li').first().textContent()).toContain('Glosario logístico');
    expect(await streaming.locator('small').last().textContent()).toBe('documentos');

    // reopening the first conversation from the side list shows its turns
    await page.locator('#history button', { hasText: '¿Cuántas órdenes pendientes hay?' }).click();
    await expect.poll(() => page.locator('#project').inputValue()).toBe('dashboard_miempresa');
    expect(await page.locator('#log .msg.bot .text').first().textContent()).toBe(`Hay ${row!.n} órdenes pendientes.`);
    expect(await page.locator('#log .msg.bot table tbody tr').count()).toBe(5);
    expect(await page.locator('#history button').count()).toBe(2);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
    await page.screenshot({ path: join(shots, 'es-desktop-3-conversation.png'), fullPage: true });

    // a reload keeps the token (this tab) and opens on the last project asked in
    await page.reload();
    await page.locator('#who').waitFor();
    expect(await page.locator('#project').inputValue()).toBe('conocimiento_general');

    // phone-sized
    await page.setViewportSize(PHONE);
    await page.locator('#project').selectOption('dashboard_miempresa');
    await page.screenshot({ path: join(shots, 'es-phone-suggestions.png') });
    expect(await noHorizontalOverflow(page)).toBeLessThanOrEqual(0);

    expect(violations).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 90_000);

  it('draws a breakdown as bars and a time series as a line from the answer\'s data, keeps the table, and downloads it as CSV', async () => {
    const { page, violations } = await openPage('es-ES');
    await page.goto(`${base}/`);
    await signIn(page, 'Usar token');

    // a breakdown: one bar per row, its length proportional to the value
    const byStatus = (await apiAnswer('Órdenes por estado')).datos!.rows!;
    const bars = await askAndWait(page, 'Órdenes por estado');
    const rects = bars.locator('svg.chart.bars rect.bar');
    expect(await rects.count()).toBe(byStatus.length);
    const drawn = await rects.evaluateAll((all) => all.map((r) => ({ label: r.getAttribute('data-label'), value: Number(r.getAttribute('data-value')), width: Number(r.getAttribute('width')) })));
    const labels: Record<string, string> = { pending: 'Pendiente', shipped: 'Enviada', delivered: 'Entregada', cancelled: 'Cancelada' };
    expect(drawn.map((d) => [d.label, d.value])).toEqual(byStatus.map((r) => [labels[r.status as string], r.ordenes]));
    const widest = Math.max(...drawn.map((d) => d.width));
    const largest = Math.max(...drawn.map((d) => d.value));
    for (const d of drawn) expect(d.width / widest).toBeCloseTo(d.value / largest, 2);
    expect(await bars.locator('svg.chart').getAttribute('role')).toBe('img');
    expect(await bars.locator('svg.chart').getAttribute('aria-label')).toBe('Gráfico de barras: Número de órdenes por Estado');
    // the table with the same numbers stays one click away
    const details = bars.locator('details');
    expect(await details.locator('table').isVisible()).toBe(false);
    await details.locator('summary').click();
    expect(await details.locator('table').isVisible()).toBe(true);
    expect(await details.locator('thead th').allTextContents()).toEqual(['Estado', 'Número de órdenes']);
    expect(await details.locator('tbody tr').count()).toBe(byStatus.length);
    // CSV: the same rows, labelled
    const [download] = await Promise.all([page.waitForEvent('download'), bars.getByRole('button', { name: 'Descargar la tabla como CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^dashboard_miempresa-breakdown-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.replace(/^\ufeff/, '').trimEnd().split('\r\n')).toEqual(['Estado,Número de órdenes', ...byStatus.map((r) => `${labels[r.status as string]},${r.ordenes}`)]);

    // a time series: one point per bucket, higher values higher up, dates in Spanish
    const perMonth = (await apiAnswer('órdenes por mes')).datos!.rows!;
    expect(perMonth.length).toBeGreaterThan(2);
    const line = await askAndWait(page, 'órdenes por mes');
    const points = await line.locator('svg.chart.line circle.point').evaluateAll((all) =>
      all.map((c) => ({ value: Number(c.getAttribute('data-value')), label: c.getAttribute('data-label'), cx: Number(c.getAttribute('cx')), cy: Number(c.getAttribute('cy')) })),
    );
    expect(points.map((p) => p.value)).toEqual(perMonth.map((r) => r.ordenes));
    const month = new Intl.DateTimeFormat('es-ES', { month: 'short', year: 'numeric', timeZone: 'UTC' });
    expect(points.map((p) => p.label)).toEqual(perMonth.map((r) => month.format(new Date(`${r.created_at as string}T00:00:00Z`))));
    for (let i = 1; i < points.length; i++) {
      expect(points[i]!.cx).toBeGreaterThan(points[i - 1]!.cx);
      const [a, b] = [points[i - 1]!, points[i]!];
      if (a.value !== b.value) expect(Math.sign(a.cy - b.cy)).toBe(Math.sign(b.value - a.value));
    }
    expect(await line.locator('polyline').getAttribute('points')).toBe(points.map((p) => `${p.cx.toFixed(2)},${p.cy.toFixed(2)}`).join(' '));
    await line.locator('details summary').click();
    expect(await line.locator('details tbody tr').count()).toBe(perMonth.length);
    // a top N: bars too
    const top = await askAndWait(page, 'Top 5 clientes por gasto este mes');
    expect(await top.locator('svg.chart.bars rect.bar').count()).toBe((await apiAnswer('Top 5 clientes por gasto este mes')).datos!.rows!.length);
    await bars.screenshot({ path: join(shots, 'es-desktop-4-bars.png') });
    await line.screenshot({ path: join(shots, 'es-desktop-5-line.png') });
    await top.screenshot({ path: join(shots, 'es-desktop-6-top.png') });

    // reopened from the side list (stored as jsonb, keys reordered): the same chart
    await page.locator('#history button', { hasText: 'Órdenes por estado' }).click();
    await expect.poll(() => page.locator('#log .msg.bot').count()).toBe(3);
    const again = page.locator('#log .msg.bot').first().locator('svg.chart.bars rect.bar');
    expect(await again.evaluateAll((all) => all.map((r) => [r.getAttribute('data-label'), Number(r.getAttribute('data-value'))]))).toEqual(drawn.map((d) => [d.label, d.value]));

    // on a phone the chart is drawn at the phone's width
    await page.setViewportSize(PHONE);
    await page.locator('#new').click();
    const small = await askAndWait(page, 'Órdenes por estado');
    expect(Number((await small.locator('svg.chart').getAttribute('viewBox'))!.split(' ')[2])).toBeLessThan(400);
    await page.screenshot({ path: join(shots, 'es-phone-charts.png') });
    expect(await noHorizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(violations).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 90_000);

  it('in English: texts, the bad-token error next to the field, labels, numbers and dates; a question the project cannot answer says why and what to do', async () => {
    const { page, violations } = await openPage('en-US');
    await page.goto(`${bare}/`);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.locator('label[for=token]').textContent()).toBe('Access token');
    expect(await page.locator('label[for=q]').textContent()).toBe('Question (Enter sends, Shift+Enter new line)');
    expect(await page.locator('#new').textContent()).toBe('New conversation');

    // a bad token: the error is next to the token field, in English, and the field says it is invalid
    await page.locator('#token').fill(accessToken(1, {}, { secret: 'not-the-server-secret-not-the-server-secret' }));
    await page.getByRole('button', { name: 'Use token', exact: true }).click();
    const error = page.locator('#auth #token-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('The server does not accept this token (invalid or expired). Paste a new access token.');
    expect(await page.locator('#token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#token').getAttribute('aria-describedby')).toBe('token-error');
    const [field, message] = await Promise.all([page.locator('#token').boundingBox(), error.boundingBox()]);
    expect(Math.abs(message!.y - (field!.y + field!.height))).toBeLessThan(40);
    await page.screenshot({ path: join(shots, 'en-desktop-1-bad-token.png') });
    // typing again clears it
    await page.locator('#token').fill('x');
    expect(await error.isHidden()).toBe(true);

    await signIn(page, 'Use token');
    expect(await page.locator('#project').inputValue()).toBe('dashboard_miempresa');
    expect(await page.locator('#intro h2').textContent()).toBe('What would you like to know about Dashboard MiEmpresa?');
    const chips = await page.locator('#intro .chip').allTextContents();
    expect(chips).toContain('How many shipped orders this week?');
    expect(chips).not.toContain('¿Cuántas órdenes pendientes hay?');
    await page.screenshot({ path: join(shots, 'en-desktop-2-suggestions.png') });
    await page.locator('#intro .chip', { hasText: 'How many shipped orders this week?' }).click();
    const answer = await waitForAnswer(page);
    expect(await answer.getAttribute('class')).not.toContain('err');
    expect(await answer.locator('dl dt').first().textContent()).toBe('Count');

    const orders = await askAndWait(page, 'orders by status');
    await orders.locator('details summary').click();
    expect(await orders.locator('thead th').allTextContents()).toEqual(['Status', 'Number of orders']);
    expect(await orders.locator('svg.chart').getAttribute('aria-label')).toBe('Bar chart: Number of orders by Status');
    // more than 999 orders in all: English digit grouping
    const total = (await apiAnswer('how many orders')).datos!.count!;
    expect(total).toBeGreaterThan(999);
    const all = await askAndWait(page, 'how many orders');
    expect(await all.locator('dl dd').textContent()).toBe(new Intl.NumberFormat('en').format(total));
    expect(await all.locator('dl dd').textContent()).toContain(',');
    await expect.poll(() => page.locator('#history button small').first().textContent()).toMatch(/^Dashboard MiEmpresa · \d{1,2}\/\d{1,2}\/\d{2}, \d{1,2}:\d{2}[\s\u202f]?[AP]M$/);

    // the seed question in the knowledge project, with no model configured: why, and what to do
    await page.locator('#project').selectOption('conocimiento_general');
    const refused = await askAndWait(page, 'What is the capital of France?');
    expect(await refused.getAttribute('class')).toContain('err');
    expect(await refused.locator('.text').textContent()).toContain('needs a language model, and the server has none configured');
    expect(await refused.locator('.hint p').textContent()).toBe('Projects that answer from their data:');
    expect(await refused.locator('.hint .chip').allTextContents()).toEqual(['Dashboard MiEmpresa', 'Logística Sur', 'Tienda Norte']);
    await page.screenshot({ path: join(shots, 'en-desktop-3-no-model.png') });
    // a project button switches to that project and shows its questions
    await refused.locator('.hint .chip', { hasText: 'Tienda Norte' }).click();
    expect(await page.locator('#project').inputValue()).toBe('tienda_norte');
    expect(await page.locator('#intro h2').textContent()).toBe('What would you like to know about Tienda Norte?');
    // in a project with data, the hint is its own questions, clickable
    await page.locator('#project').selectOption('dashboard_miempresa');
    const unmatched = await askAndWait(page, 'What is the capital of France?');
    expect(await unmatched.locator('.text').textContent()).toContain('needs a language model');
    expect(await unmatched.locator('.hint p').textContent()).toBe('Questions this project does answer:');
    await unmatched.locator('.hint .chip', { hasText: 'How many shipped orders this week?' }).click();
    expect(await (await waitForAnswer(page)).getAttribute('class')).not.toContain('err');
    await page.screenshot({ path: join(shots, 'en-desktop-4-no-model-own-questions.png') });

    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(shots, 'en-phone.png') });
    expect(await noHorizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(violations).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 90_000);

  it('reopens a conversation longer than a page whole, following siguiente', async () => {
    // 230 stored messages of user 5: the read endpoint's pages hold 100.
    const id = crypto.randomUUID();
    await test.db.query(`INSERT INTO chat_api.conversations (id, user_id, project) VALUES ($1, '5', 'conocimiento_general')`, [id]);
    await test.db.query(
      `INSERT INTO chat_api.messages (conversation_id, role, content, fuente)
       SELECT $1, CASE WHEN i % 2 = 1 THEN 'user' ELSE 'assistant' END, 'Mensaje largo ' || i, CASE WHEN i % 2 = 0 THEN 'openai' END
         FROM generate_series(1, 230) AS i`,
      [id],
    );
    const { page, violations } = await openPage('es-ES');
    await page.goto(`${base}/`);
    await signIn(page, 'Usar token', accessToken(5));
    await page.locator('#history button', { hasText: 'Mensaje largo 1' }).click();
    await expect.poll(() => page.locator('#log .msg').count()).toBe(230);
    expect(await page.locator('#log .msg .text').last().textContent()).toBe('Mensaje largo 230');
    expect(violations).toEqual([]);
    await page.close();
  }, 90_000);

  it('/docs renders Swagger UI with no network and executes the chat request', async () => {
    const { page } = await openPage('en-US');
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${base}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('Chat API');
    expect(await page.locator('#docs-failed').isHidden()).toBe(true);

    // Authorize with a token, then try POST /api/v1/chat
    await page.locator('button.authorize').first().click();
    await page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first().fill(accessToken(1));
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();
    const operation = page.locator('.opblock-post', { has: page.locator('[data-path="/api/v1/chat"]') }).first();
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation
      .locator('textarea.body-param__text')
      .fill(JSON.stringify({ mensaje: '¿Cuántas órdenes pendientes hay?', usuario_id: '1', proyecto: 'dashboard_miempresa' }));
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tr.response td.response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('200');
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    expect(await operation.locator('.live-responses-table tr.response td.response-col_description').first().textContent()).toContain(`Hay ${row!.n} órdenes pendientes.`);
    await operation.locator('.live-responses-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'docs-offline.png') });
    expect(problems).toEqual([]);
    expect(external).toEqual([]);

    // Workers' variant: the pinned CDN files cannot load here, and the page says so
    await page.goto(`${bare}/docs`);
    await page.locator('#docs-failed').waitFor();
    expect(await page.locator('#docs-failed').textContent()).toContain('could not load');
    expect(await page.locator('#docs-failed a[href="/api/v1/openapi.json"]').count()).toBeGreaterThan(0);
    expect(external.length).toBeGreaterThan(0);
    expect(external.every((url) => url.startsWith('https://cdn.jsdelivr.net/npm/swagger-ui-dist@'))).toBe(true);
    external.length = 0;
    await page.screenshot({ path: join(shots, 'docs-cdn-unreachable.png') });
    expect(statSync(join(shots, 'docs-offline.png')).size).toBeGreaterThan(1000);
    await page.close();
  }, 60_000);
});
