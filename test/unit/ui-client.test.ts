import { expect, it } from 'vitest';
import { readConversation } from '../../src/ui/client/api.js';
import { niceMax } from '../../src/ui/client/chart.js';
import { toCsv } from '../../src/ui/client/csv.js';

it('writes CSV by RFC 4180 with a BOM, numbers as numbers, and formula-like text neutralised', () => {
  const csv = toCsv(['Cliente', 'Importe'], [
    ['Panadería "San José", S.L.', 931.54],
    ['=HYPERLINK("http://x")', -3],
    ['línea\nnueva', null],
    ['+34 600', 0],
  ]);
  expect(csv).toBe(
    '\ufeffCliente,Importe\r\n"Panadería ""San José"", S.L.",931.54\r\n"\'=HYPERLINK(""http://x"")",-3\r\n"línea\nnueva",\r\n\'+34 600,0\r\n',
  );
});

it('rounds a chart axis up to 1, 2, 2.5 or 5 times a power of ten', () => {
  expect([0, 0.3, 1, 7, 11, 180, 251, 643, 2600, 99999].map(niceMax)).toEqual([1, 0.5, 1, 10, 20, 200, 500, 1000, 5000, 100000]);
});

it('reads a whole stored conversation by following siguiente, page after page', async () => {
  const message = (n: number) => ({ rol: 'user' as const, contenido: `m${n}`, creado: '2026-01-01T00:00:00.000Z' });
  const pages: Record<string, { mensajes: ReturnType<typeof message>[]; siguiente: string | null }> = {
    '': { mensajes: [message(1), message(2)], siguiente: '12' },
    '?despues=12': { mensajes: [message(3), message(4)], siguiente: '14' },
    '?despues=14': { mensajes: [message(5)], siguiente: null },
  };
  const asked: string[] = [];
  const get = async (path: string) => {
    asked.push(path);
    const page = pages[path.replace('/api/v1/conversaciones/c%2F1', '')];
    return page ? Response.json({ conversacion_id: 'c/1', proyecto: 'p', ...page }) : new Response('{}', { status: 404 });
  };
  const whole = await readConversation(get, 'c/1');
  expect(whole).toEqual({ conversacion_id: 'c/1', proyecto: 'p', mensajes: [1, 2, 3, 4, 5].map(message), siguiente: null });
  expect(asked).toEqual(['/api/v1/conversaciones/c%2F1', '/api/v1/conversaciones/c%2F1?despues=12', '/api/v1/conversaciones/c%2F1?despues=14']);
  delete pages['?despues=14'];
  const failed = await readConversation(get, 'c/1');
  expect(failed).toBeInstanceOf(Response);
  expect((failed as Response).status).toBe(404);
});
