import { serve, type ServerType } from '@hono/node-server';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swaggerUiFiles } from '../src/entry/swagger-ui-files.js';
import { buildApp } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { FakeOpenAI } from './support/fake-openai.js';
import { accessToken } from './support/tokens.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** The chat page in Debian's headless Chromium, against the app on loopback with a local model. */
describe('the chat page in a real browser', () => {
  let test: TestDatabase;
  let model: FakeOpenAI;
  let server: ServerType | undefined;
  let base: string;
  let cdnServer: ServerType | undefined;
  let cdnBase: string;
  let userDataDir: string | undefined;
  let context: BrowserContext | undefined;
  let external: string[];
  // Screenshots to look at: artifacts/ui/ (git-ignored), or UI_ARTIFACTS_DIR.
  const shots = resolve(process.env.UI_ARTIFACTS_DIR ?? 'artifacts/ui');
  mkdirSync(shots, { recursive: true });

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
    // As on Node, Bun and Deno: Swagger UI's files served by the app.
    const app = buildApp(test.db, settings, { swaggerUiAssets: swaggerUiFiles() });
    // As on Workers: no files, Swagger UI from the pinned CDN URL (blocked below, as offline).
    const workerLike = buildApp(test.db, settings);
    // A project document, so the general question is answered from it, with a citation.
    const uploaded = await app.request('/api/v1/proyectos/conocimiento_general/documentos', {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken(1)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ titulo: 'Glosario logístico', tipo: 'text/markdown', contenido: '# Orden inbound\n\nUna orden inbound es la entrada de mercancía al almacén.' }),
    });
    expect(uploaded.status).toBe(201);
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    await new Promise<void>((resolve) => {
      cdnServer = serve({ fetch: workerLike.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        cdnBase = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'chat-ui-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 800 },
    });
    external = [];
    // No network: every request that is not to the servers on loopback is recorded and refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith(cdnBase) || url.startsWith('data:')) return route.continue();
      external.push(url);
      return route.abort('internetdisconnected');
    });
  });
  // beforeAll may have stopped anywhere (no Chromium, no database): undo only what was started,
  // and let every step run even when an earlier one fails.
  afterAll(async () => {
    const running = server;
    const cdnRunning = cdnServer;
    const steps = [
      () => context?.close(),
      () => userDataDir && rmSync(userDataDir, { recursive: true, force: true }),
      () => running && new Promise<void>((resolve) => running.close(() => resolve())),
      () => cdnRunning && new Promise<void>((resolve) => cdnRunning.close(() => resolve())),
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

  const lastAnswer = (page: Page) => page.locator('#log .msg.bot').last();

  async function askAndWait(page: Page, text: string) {
    await page.locator('#q').fill(text);
    await page.locator('#q').press('Enter');
    await page.locator('#log .msg.bot[data-done]').last().waitFor();
    await expect.poll(() => page.locator('#log .msg.bot').last().getAttribute('data-done')).toBe('1');
  }

  it('takes a token, answers from the database with the right count, streams a model answer, and fits a phone', async () => {
    const page = await context!.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    await page.goto(`${base}/`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
    expect(await page.locator('#q').isDisabled()).toBe(true);

    // paste the token: the projects load and focus moves to the project picker
    const token = accessToken(1);
    await page.locator('#token').fill(token);
    await page.getByRole('button', { name: 'Usar token' }).click();
    await page.locator('#project option[value="dashboard_miempresa"]').waitFor({ state: 'attached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('project');
    const options = await page.locator('#project option').evaluateAll((all) => all.map((o) => (o as HTMLOptionElement).value));
    expect(options).toContain('conocimiento_general');
    expect(options).not.toContain('finanzas_direccion');
    // kept for this tab only, never in the URL
    expect(await page.evaluate(() => sessionStorage.getItem('chat-api-token'))).toBe(token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(page.url()).not.toContain(token);

    // a database question: the count the database has
    const [row] = await test.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM orders WHERE project = 'dashboard_miempresa' AND status = 'pending'",
    );
    await page.locator('#project').selectOption('dashboard_miempresa');
    await askAndWait(page, '¿Cuántas órdenes pendientes hay?');
    const counted = lastAnswer(page);
    expect(await counted.locator('.text').textContent()).toBe(`Hay ${row!.n} órdenes pendientes.`);
    expect(await counted.locator('dl dd').first().textContent()).toBe(String(row!.n));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
    // rows come as a table, in the same conversation
    await askAndWait(page, 'últimas 5 órdenes');
    const table = lastAnswer(page).locator('table');
    expect(await table.locator('tbody tr').count()).toBe(5);
    expect(await table.locator('thead th').count()).toBeGreaterThan(1);
    // the conversation appears in the side list
    await expect.poll(() => page.locator('#history button').first().textContent()).toContain('¿Cuántas órdenes pendientes hay?');

    // a general question: the model's answer streams in
    await page.locator('#project').selectOption('conocimiento_general');
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

    const desktop = join(shots, 'chat-desktop.png');
    await page.screenshot({ path: desktop, fullPage: true });
    expect(statSync(desktop).size).toBeGreaterThan(1000);

    // reopening the first conversation from the side list shows its turns
    await page.locator('#history button', { hasText: '¿Cuántas órdenes pendientes hay?' }).click();
    await expect.poll(() => page.locator('#project').inputValue()).toBe('dashboard_miempresa');
    expect(await page.locator('#log .msg.bot .text').first().textContent()).toBe(`Hay ${row!.n} órdenes pendientes.`);
    expect(await page.locator('#log .msg.bot table tbody tr').count()).toBe(5);
    expect(await page.locator('#history button').count()).toBe(2);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');

    // phone-sized
    await page.setViewportSize({ width: 390, height: 844 });
    const phone = join(shots, 'chat-phone.png');
    await page.screenshot({ path: phone });
    expect(statSync(phone).size).toBeGreaterThan(1000);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);

    expect(violations).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  }, 60_000);

  it('/docs renders Swagger UI with no network and executes the chat request', async () => {
    const page = await context!.newPage();
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
    await page.goto(`${cdnBase}/docs`);
    await page.locator('#docs-failed').waitFor();
    expect(await page.locator('#docs-failed').textContent()).toContain('could not load');
    expect(await page.locator('#docs-failed a[href="/api/v1/openapi.json"]').count()).toBeGreaterThan(0);
    expect(external.length).toBeGreaterThan(0);
    expect(external.every((url) => url.startsWith('https://cdn.jsdelivr.net/npm/swagger-ui-dist@'))).toBe(true);
    external.length = 0;
    await page.screenshot({ path: join(shots, 'docs-cdn-unreachable.png') });
    await page.close();
  }, 60_000);
});
