import { describe, expect, it } from 'vitest';
import { byteBudget, cutToBytes } from '../../src/services/bytes.js';
import { boundedData } from '../../src/services/conversations.js';

const bytes = (text: string) => new TextEncoder().encode(text).length;

describe('byte bounds (issue 14)', () => {
  it('cuts text to at most the given bytes, ending in …, never splitting a character', () => {
    expect(cutToBytes('corto', 16)).toBe('corto');
    for (const text of ['x'.repeat(100), 'ñ'.repeat(100), '😀'.repeat(100), 'aé😀'.repeat(50)]) {
      for (const max of [16, 17, 18, 19, 64]) {
        const cut = cutToBytes(text, max);
        expect(bytes(cut)).toBeLessThanOrEqual(max);
        expect(cut).toMatch(/…$/);
        expect(cut).not.toContain('\uFFFD');
        expect(text.startsWith(cut.slice(0, -1))).toBe(true);
      }
    }
  });

  it('lets streamed pieces through up to a total, cut like cutToBytes, then nothing', () => {
    for (const pieces of [['abc ', 'ñandú ', '😀'.repeat(40), ' fin'], ['x'.repeat(1000)], Array.from({ length: 100 }, (_, i) => `w${i} `)]) {
      for (const max of [16, 17, 18, 64]) {
        const within = byteBudget(max);
        const sent = pieces.map(within).join('');
        expect(bytes(sent)).toBeLessThanOrEqual(max);
        expect(sent).toBe(cutToBytes(pieces.join(''), max));
        expect(sent).not.toContain('\uFFFD');
      }
    }
    const within = byteBudget(16);
    expect(['corto '].map(within)).toEqual(['corto ']);
  });

  it('keeps stored data within ANSWER_MAX_BYTES: the rows that fit, and says so', () => {
    const small = { rows: [{ a: 1 }], truncated: false };
    expect(boundedData(small, 4096)).toBe(small);
    const rows = Array.from({ length: 100 }, (_, i) => ({ i, s: 'y'.repeat(100) }));
    const bounded = boundedData({ rows, truncated: true, truncated_by: ['GUARDED_SQL_ROW_LIMIT'] }, 4096);
    expect(bytes(JSON.stringify(bounded))).toBeLessThanOrEqual(4096);
    expect(bounded).toMatchObject({ truncated: true, truncated_by: ['GUARDED_SQL_ROW_LIMIT', 'ANSWER_MAX_BYTES'] });
    expect((bounded.rows as unknown[]).length).toBeGreaterThan(0);
    expect(bounded.rows).toEqual(rows.slice(0, (bounded.rows as unknown[]).length));
    expect(boundedData({ count: 'z'.repeat(10_000) }, 4096)).toEqual({ truncated: true, truncated_by: ['ANSWER_MAX_BYTES'] });
  });
});
