/**
 * JSON.parse keeps the last of two members with the same name (`{"user_id":1,"user_id":2}` is
 * user 2), other parsers keep the first: a token whose meaning depends on the parser is refused.
 * A reviver cannot see duplicates (it walks the already-parsed object), so the text is scanned.
 *
 * Only for text JSON.parse has already accepted: on valid JSON, string literals and the
 * structural characters are enough to know which strings are member names (the ones before
 * ":") and which object they belong to.
 */
const TOKENS = /"(?:[^"\\]|\\.)*"|[{}[\]:]/gs;

/** The first member name that occurs twice in one object, at any depth, or undefined. */
export function findDuplicateKey(validJson: string): string | undefined {
  const open: (Set<string> | null)[] = []; // one entry per open object (its names) or array (null)
  let lastString = '';
  for (const [token] of validJson.matchAll(TOKENS)) {
    switch (token) {
      case '{':
        open.push(new Set());
        break;
      case '[':
        open.push(null);
        break;
      case '}':
      case ']':
        open.pop();
        break;
      case ':': {
        const names = open.at(-1);
        if (!names) break;
        // Escapes spell the same name differently ("user\u005fid"): compare decoded names.
        const name = lastString.includes('\\') ? (JSON.parse(lastString) as string) : lastString.slice(1, -1);
        if (names.has(name)) return name;
        names.add(name);
        break;
      }
      default:
        lastString = token;
    }
  }
  return undefined;
}
