import { expect, it } from 'vitest';
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
