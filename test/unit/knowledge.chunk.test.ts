import { describe, expect, it } from 'vitest';
import { chunkText } from '../../src/services/knowledge/chunk.js';

const paragraph = (seed: string, sentences: number) =>
  Array.from({ length: sentences }, (_, i) => `${seed} frase número ${i + 1} con algo de texto para llenar.`).join(' ');

describe('chunkText', () => {
  it('keeps a short plain text as one passage, trimmed, with normalised line ends', () => {
    expect(chunkText('  Hola mundo.\r\n\r\nSegundo párrafo.  ', 'text/plain')).toEqual(['Hola mundo.\n\nSegundo párrafo.']);
  });

  it('returns nothing for blank text', () => {
    expect(chunkText(' \n\n \t ', 'text/plain')).toEqual([]);
    expect(chunkText('', 'text/markdown')).toEqual([]);
  });

  it('starts a passage at each Markdown heading and prefixes the heading path', () => {
    const doc = '# Glosario\n\nIntro.\n\n## Picking\n\nRecolección de artículos.\n\n## Backorder\n\nPedido sin stock.\n';
    expect(chunkText(doc, 'text/markdown')).toEqual([
      'Glosario\n\nIntro.',
      'Glosario > Picking\n\nRecolección de artículos.',
      'Glosario > Backorder\n\nPedido sin stock.',
    ]);
  });

  it('treats # in plain text and inside code fences as text, not headings', () => {
    expect(chunkText('# no es título\n\ntexto', 'text/plain')).toEqual(['# no es título\n\ntexto']);
    const md = '# Código\n\n```sh\n# comentario\n\necho hola\n```\n\nDespués.';
    const [only] = chunkText(md, 'text/markdown');
    expect(only).toBe('Código\n\n```sh\n# comentario\n\necho hola\n```\n\nDespués.');
  });

  it('packs paragraphs up to about 800 characters and never cuts inside a short paragraph', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => paragraph(`P${i}`, 3));
    const passages = chunkText(paragraphs.join('\n\n'), 'text/plain');
    expect(passages.length).toBeGreaterThan(2);
    for (const p of passages) expect(p.length).toBeLessThanOrEqual(800);
    for (const para of paragraphs) expect(passages.some((p) => p.includes(para))).toBe(true);
  });

  it('splits a long paragraph at sentence ends and overlaps consecutive passages', () => {
    const long = paragraph('Larga', 40); // ~2 400 characters, one paragraph
    const passages = chunkText(long, 'text/plain');
    expect(passages.length).toBeGreaterThanOrEqual(3);
    for (const p of passages) {
      expect(p.length).toBeLessThanOrEqual(800);
      expect(p.length).toBeGreaterThan(200);
    }
    for (let i = 1; i < passages.length; i++) {
      // The next passage begins with (whole sentences from) the end of the previous one.
      const head = passages[i]!.split('\n\n')[0]!;
      expect(passages[i - 1]!.endsWith(head)).toBe(true);
      expect(head.length).toBeLessThanOrEqual(120);
      expect(head).toMatch(/^Larga frase número \d+/);
    }
    // Every sentence is somewhere.
    for (let i = 1; i <= 40; i++) expect(passages.some((p) => p.includes(`Larga frase número ${i} `))).toBe(true);
  });

  it('cuts a word longer than a passage anywhere, and honours a custom size without overlap', () => {
    const passages = chunkText('x'.repeat(2_000), 'text/plain', { overlapChars: 0 });
    expect(passages.map((p) => p.length)).toEqual([800, 800, 400]);
    const small = chunkText(paragraph('S', 10), 'text/plain', { targetChars: 200, overlapChars: 0 });
    for (const p of small) expect(p.length).toBeLessThanOrEqual(200);
    expect(small.join(' ').replace(/\s+/g, ' ')).toBe(paragraph('S', 10));
  });

  it('keeps the heading in every passage of a long section', () => {
    const md = `# Manual\n\n## Devoluciones\n\n${paragraph('Dev', 30)}`;
    const passages = chunkText(md, 'text/markdown');
    expect(passages.length).toBeGreaterThan(1);
    for (const p of passages) {
      expect(p.startsWith('Manual > Devoluciones\n\n')).toBe(true);
      expect(p.length).toBeLessThanOrEqual(800);
    }
  });

  it('cuts a heading of thousands of characters to a quarter of a passage, so every passage fits (it used to loop forever)', () => {
    for (const length of [700, 760, 28_000]) {
      const heading = 'Almacén '.repeat(length / 8 + 1).slice(0, length).trim();
      const passages = chunkText(`# ${heading}\n\n${paragraph('Cross', 12)}`, 'text/markdown');
      expect(passages.length).toBeGreaterThan(1);
      for (const p of passages) {
        expect(p.startsWith(`${heading.slice(0, 150)}`)).toBe(true);
        expect(p.split('\n\n')[0]!.length).toBeLessThanOrEqual(200);
        expect(p.split('\n\n')[0]).toMatch(/…$/);
        expect(p.length).toBeLessThanOrEqual(800);
      }
    }
    expect(chunkText(`# ${'T'.repeat(5_000)}`, 'text/markdown')).toEqual([`${'T'.repeat(199)}…`]);
  });

  it('keeps a title-only Markdown document', () => {
    expect(chunkText('# Solo título', 'text/markdown')).toEqual(['Solo título']);
  });
});
