/** UTF-8 sizes of strings: what every byte bound of the service (results, answers, pages) counts. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A string's UTF-8 length. */
export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** Whether `text` is longer than `max` UTF-8 bytes; encoded only when it could be (a UTF-16 unit is at most 3 bytes). */
export const overBytes = (text: string, max: number): boolean => text.length * 3 > max && utf8Bytes(text) > max;

/** The longest start of `text` within `max` UTF-8 bytes, never splitting a character. */
function headBytes(text: string, max: number): string {
  // A character split at the cut decodes as U+FFFD: drop it.
  return decoder.decode(encoder.encode(text.slice(0, max)).subarray(0, Math.max(0, max))).replace(/\uFFFD$/, '');
}

/** `text` cut to at most `max` UTF-8 bytes, ending in "…" (3 bytes). */
export function cutToBytes(text: string, max: number): string {
  if (!overBytes(text, max)) return text;
  return `${headBytes(text, max - 3)}…`;
}

/**
 * Pieces of a text sent one by one (a streamed answer), together at most `max` UTF-8 bytes:
 * each piece passes whole while the total stays within `max` - 3; the piece that crosses it is
 * cut, followed by "…", and every later piece is dropped (''). Cut like cutToBytes, so the pieces
 * sent make up the same text as the whole answer cut to `max`.
 */
export function byteBudget(max: number): (piece: string) => string {
  let left = max - 3;
  return (piece) => {
    if (left < 0) return '';
    const bytes = utf8Bytes(piece);
    if (bytes <= left) {
      left -= bytes;
      return piece;
    }
    const head = headBytes(piece, left);
    left = -1;
    return `${head}…`;
  };
}
