import { Hono } from 'hono';
import type { AppEnv } from '../../app-env.js';
import { renderPage, type Page, type PageOptions } from '../../ui/page.js';

/** GET /: the chat page, with a Content-Security-Policy allowing only its own inline code. */
export function uiRoutes(options: PageOptions) {
  const app = new Hono<AppEnv>();
  let page: Promise<Page> | undefined;
  app.get('/', async (c) => {
    const { html, csp } = await (page ??= renderPage(options));
    c.header('Content-Security-Policy', csp);
    // The development token may be in it: never stored by a cache.
    c.header('Cache-Control', 'no-store');
    return c.html(html);
  });
  return app;
}
