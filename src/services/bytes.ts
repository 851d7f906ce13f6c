/** UTF-8 sizes of strings: what every byte bound of the service (results, answers, pages) counts. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A string's UTF-8 length. */
export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** Whether `text` is longer than `max` UTF-8 bytes; encoded only when it could be (a UTF-16 unit is at most 3 bytes). */
export const overBytes = (text: string, max: number): boolean => text.length * 3 > max && utf8Bytes(text) > max;

/** `text` cut to at most `max` UTF-8 bytes, ending in "…" (3 bytes). */
export function cutToBytes(text: string, max: number): string {
  if (!overBytes(text, max)) return text;
  const head = decoder.decode(encoder.encode(text.slice(0, max)).subarray(0, Math.max(0, max - 3)));
  // A character split at the cut decodes as U+FFFD: drop it.
  return `${head.replace(/\uFFFD$/, '')}…`;
}
