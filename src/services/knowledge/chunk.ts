/**
 * Splits a Markdown or plain-text document into passages for retrieval. Pure: no I/O.
 *
 * - Markdown: a new section starts at each ATX heading (`#`..`######`) outside code fences;
 *   every passage of a section starts with its heading path ("Guía > Órdenes"; at most a quarter
 *   of `targetChars`, cut with "…"), so a passage read alone still says what it is about.
 * - Inside a section, paragraphs (blank-line separated blocks; a fenced code block is one
 *   block) are packed up to `targetChars`; a longer block is cut at sentence ends, then at
 *   spaces, then anywhere.
 * - Consecutive passages of a section overlap by up to `overlapChars` (whole sentences or
 *   words from the end of the previous passage), so an answer split across a boundary is
 *   still found.
 */
export type ChunkOptions = {
  /** Aimed-at passage length in characters (default 800). */
  targetChars?: number;
  /** Characters repeated from the end of the previous passage (default 120; 0 = none). */
  overlapChars?: number;
};

export type MediaType = 'text/markdown' | 'text/plain';

export const DEFAULT_TARGET_CHARS = 800;
export const DEFAULT_OVERLAP_CHARS = 120;

export function chunkText(text: string, mediaType: MediaType, options: ChunkOptions = {}): string[] {
  const target = Math.max(50, options.targetChars ?? DEFAULT_TARGET_CHARS);
  const overlap = Math.max(0, Math.min(options.overlapChars ?? DEFAULT_OVERLAP_CHARS, Math.floor(target / 3)));
  const normalized = text.replace(/\r\n?/g, '\n').replace(/\t/g, '  ');
  const sections = mediaType === 'text/markdown' ? markdownSections(normalized) : [{ heading: '', blocks: blocksOf(normalized) }];
  const passages: string[] = [];
  // A heading path heads every passage of its section: at most a quarter of a passage, so that a
  // heading of thousands of characters neither multiplies the stored text nor leaves no room.
  const headingChars = Math.floor(target / 4);
  for (const section of sections) {
    const heading = section.heading.length > headingChars ? `${section.heading.slice(0, headingChars - 1).trimEnd()}…` : section.heading;
    const prefix = heading ? `${heading}\n\n` : '';
    const room = Math.max(50, target - prefix.length);
    for (const body of packBlocks(section.blocks, room, overlap)) passages.push(prefix + body);
    // A heading with no text under it is still content (e.g. a title-only document).
    if (section.blocks.length === 0 && heading) passages.push(heading);
  }
  return passages.filter((p) => p.trim().length > 0);
}

type Section = { heading: string; blocks: string[] };

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const FENCE = /^ {0,3}(```|~~~)/;

function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const path: string[] = [];
  let lines: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const blocks = blocksOf(lines.join('\n'));
    if (blocks.length > 0 || path.length > 0) sections.push({ heading: path.filter(Boolean).join(' > '), blocks });
    lines = [];
  };
  for (const line of text.split('\n')) {
    const fenceMatch = line.match(FENCE);
    if (fenceMatch) {
      if (fence === null) fence = fenceMatch[1]!;
      else if (fenceMatch[1] === fence) fence = null;
      lines.push(line);
      continue;
    }
    const heading = fence === null ? line.match(HEADING) : null;
    if (heading) {
      flush();
      const level = heading[1]!.length;
      path.length = level - 1;
      for (let i = 0; i < level - 1; i++) path[i] ??= '';
      path[level - 1] = heading[2]!.trim();
      continue;
    }
    lines.push(line);
  }
  flush();
  // Drop empty sections whose heading is only a parent of the next one.
  return sections.filter((s, i) => s.blocks.length > 0 || !sections[i + 1]?.heading.startsWith(`${s.heading} > `));
}

/** Blank-line separated blocks, keeping a fenced code block whole. */
function blocksOf(text: string): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    const block = current.join('\n').trim();
    if (block) blocks.push(block);
    current = [];
  };
  for (const line of text.split('\n')) {
    const fenceMatch = line.match(FENCE);
    if (fenceMatch) fence = fence === null ? fenceMatch[1]! : fenceMatch[1] === fence ? null : fence;
    if (fence === null && !fenceMatch && line.trim() === '') flush();
    else current.push(line.trimEnd());
  }
  flush();
  return blocks;
}

function packBlocks(blocks: string[], room: number, wantedOverlap: number): string[] {
  // Pieces of a long block leave room for the overlap that precedes them (at most a third of it).
  const overlap = Math.min(wantedOverlap, Math.floor(room / 3));
  const pieces = blocks.flatMap((block) => (block.length <= room ? [block] : splitLong(block, overlap > 0 ? room - overlap - 2 : room)));
  const passages: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (!current) {
      current = piece;
    } else if (current.length + 2 + piece.length <= room) {
      current += `\n\n${piece}`;
    } else {
      passages.push(current);
      const tail = tailOf(current, Math.min(overlap, room - piece.length - 2));
      current = tail ? `${tail}\n\n${piece}` : piece;
    }
  }
  if (current) passages.push(current);
  return passages;
}

/** Cuts a block longer than `room` at sentence ends, then spaces, then anywhere. */
function splitLong(block: string, room: number): string[] {
  const sentences = block.match(/[^.!?¡¿\n]*(?:[.!?]+|\n|$)\s*/g)?.filter((s) => s.length > 0) ?? [block];
  const out: string[] = [];
  let current = '';
  for (const sentence of sentences.flatMap((s) => (s.length <= room ? [s] : splitWords(s, room)))) {
    if (current.length + sentence.length <= room) current += sentence;
    else {
      if (current.trim()) out.push(current.trim());
      current = sentence;
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function splitWords(text: string, room: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/(?<=\s)/)) {
    if (word.length > room) {
      if (current) out.push(current);
      for (let i = 0; i < word.length; i += room) out.push(word.slice(i, i + room));
      current = '';
    } else if (current.length + word.length <= room) current += word;
    else {
      out.push(current);
      current = word;
    }
  }
  if (current) out.push(current);
  return out;
}

/** The end of a passage, at most `max` characters, starting at a sentence or word boundary. */
function tailOf(passage: string, max: number): string {
  if (max <= 0) return '';
  const tail = passage.slice(-max);
  if (tail.length === passage.length) return '';
  const sentence = tail.search(/(?<=[.!?])\s+\S/);
  if (sentence >= 0) return tail.slice(sentence).trim();
  const space = tail.search(/\s\S/);
  return space >= 0 ? tail.slice(space).trim() : '';
}
