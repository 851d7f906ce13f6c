import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './support/app.js';
import { createSeededDatabase, type TestDatabase } from './support/databases.js';
import { accessToken } from './support/tokens.js';

type Listed = { conversacion_id: string; proyecto: string; titulo: string; actualizado: string };

/** GET /api/v1/conversaciones in pages (issue 14: every list is bounded), on the real PostgreSQL and PGlite. */
describe.each(['postgres', 'embedded'] as const)('the list of conversations in pages (%s)', (kind) => {
  let test: TestDatabase;
  let app: ReturnType<typeof buildApp>;
  // 130 conversations of user 41: 60 share one updated_at (the cursor must not skip or repeat
  // ties), one has a megabyte first question; and one of another user.
  const USER = '41';
  const ids: string[] = [];
  beforeAll(async () => {
    test = await createSeededDatabase(kind);
    app = buildApp(test.db, {});
    await test.db.query(
      `INSERT INTO chat_api.conversations (id, user_id, project, updated_at)
       SELECT gen_random_uuid(), $1, CASE WHEN i % 2 = 0 THEN 'dashboard_miempresa' ELSE 'tienda_norte' END,
              CASE WHEN i <= 60 THEN timestamptz '2026-01-01 00:00:00.123456+00' ELSE timestamptz '2026-01-01' + i * interval '1 minute' END
         FROM generate_series(1, 130) AS i`,
      [USER],
    );
    await test.db.query(`INSERT INTO chat_api.conversations (id, user_id, project) VALUES (gen_random_uuid(), '42', 'dashboard_miempresa')`);
    await test.db.query(
      `INSERT INTO chat_api.messages (conversation_id, role, content)
       SELECT id, 'user', CASE WHEN row_number() OVER (ORDER BY id) = 1 THEN repeat('ñ', 1000000) ELSE 'pregunta ' || id END
         FROM chat_api.conversations WHERE user_id = $1`,
      [USER],
    );
    ids.push(
      ...(
        await test.db.query<{ id: string }>(`SELECT id FROM chat_api.conversations WHERE user_id = $1 ORDER BY updated_at DESC, id DESC`, [USER])
      ).map((row) => row.id),
    );
  });
  afterAll(async () => {
    await test?.drop();
  });

  const get = (path: string) => app.request(path, { headers: { Authorization: `Bearer ${accessToken(Number(USER))}` } });

  /** Follows `Siguiente` from `first` to the last page; the pages' sizes and the conversations in order. */
  async function all(first: string): Promise<{ sizes: number[]; listed: Listed[] }> {
    const sizes: number[] = [];
    const listed: Listed[] = [];
    let path: string | null = first;
    while (path) {
      const response = await get(path);
      expect(response.status, await response.clone().text()).toBe(200);
      const page = (await response.json()) as Listed[];
      sizes.push(page.length);
      listed.push(...page);
      const next = response.headers.get('siguiente');
      if (next) expect(response.headers.get('link')).toBe(`<${first.split('?')[0]}?${new URLSearchParams({ ...Object.fromEntries(new URL(first, 'http://x').searchParams), despues: next })}>; rel="next"`);
      else expect(response.headers.get('link')).toBeNull();
      path = response.headers.get('link')?.match(/^<([^>]+)>/)?.[1] ?? null;
      expect(sizes.length).toBeLessThan(100);
    }
    return { sizes, listed };
  }

  it('returns 50 by default, newest first, and the rest page by page through Siguiente, none skipped or repeated', async () => {
    const { sizes, listed } = await all('/api/v1/conversaciones');
    expect(sizes).toEqual([50, 50, 30]);
    expect(listed.map((c) => c.conversacion_id)).toEqual(ids);
  });

  it('takes limite (1-200) and keeps proyecto on the next pages', async () => {
    expect((await all('/api/v1/conversaciones?limite=7')).sizes).toEqual([...Array(18).fill(7), 4]);
    const { sizes, listed } = await all('/api/v1/conversaciones?proyecto=tienda_norte&limite=200');
    expect(sizes).toEqual([65]);
    expect(new Set(listed.map((c) => c.proyecto))).toEqual(new Set(['tienda_norte']));
    const { listed: narrowed } = await all('/api/v1/conversaciones?proyecto=dashboard_miempresa&limite=20');
    expect(narrowed.map((c) => c.conversacion_id)).toEqual(ids.filter((id) => !listed.some((c) => c.conversacion_id === id)));
  });

  it('titles each conversation with at most 120 characters of its first question', async () => {
    const { listed } = await all('/api/v1/conversaciones?limite=200');
    const longest = Math.max(...listed.map((c) => c.titulo.length));
    expect(longest).toBe(120);
    expect(listed.some((c) => c.titulo === 'ñ'.repeat(120))).toBe(true);
  });

  it('refuses a bad limite or despues with a problem', async () => {
    for (const query of ['limite=0', 'limite=201', 'limite=x', 'despues=1', 'despues=abc_00000000-0000-0000-0000-000000000000', `despues=${'9'.repeat(19)}_${ids[0]}`]) {
      const response = await get(`/api/v1/conversaciones?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});
