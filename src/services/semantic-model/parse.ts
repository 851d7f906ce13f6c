/**
 * Reads a model file (YAML, or JSON, which is YAML 1.2 too) into a validated SemanticModel, or
 * into issues that name the path and the line of what is wrong. This is the checker's "structure"
 * layer: syntax, duplicate keys, placeholders and the zod schema. Cross-references are check.ts.
 */
import type { z } from 'zod';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import {
  findTodoMarkers,
  formatPath,
  issueAt,
  sortIssues,
  todoMessage,
  valueAt,
  type ModelIssue,
  type ModelPath,
  type SourceMap,
} from './issues.js';
import { MAX_MODEL_FILE_BYTES, semanticModelSchema, type SemanticModel } from './schema.js';

export type ModelFormat = 'yaml' | 'json';
export type ParseOptions = { format?: ModelFormat; fileName?: string };
export type ParseResult = { ok: true; model: SemanticModel; sourceMap: SourceMap } | { ok: false; errors: ModelIssue[] };

/** Aliases expanded when converting the document; a guard against "billion laughs" files. */
const MAX_ALIAS_COUNT = 100;
/** A syntax error usually causes the ones after it: report the first (plus every duplicate key). */
const MAX_SYNTAX_ERRORS = 1;

export function parseSemanticModel(text: string, options: ParseOptions = {}): ParseResult {
  const format = options.format ?? (options.fileName?.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
  const bytes = utf8Length(text);
  if (bytes > MAX_MODEL_FILE_BYTES) {
    return fail([
      { path: '', message: `the file is ${bytes} bytes; a model file may have at most ${MAX_MODEL_FILE_BYTES} bytes (256 KiB)` },
    ]);
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    version: '1.2',
    // JSON files get YAML's JSON schema: unquoted words such as `tru` are errors, not strings.
    schema: format === 'json' ? 'json' : 'core',
    uniqueKeys: true,
    merge: false,
    prettyErrors: true,
  });
  const sourceMap = createSourceMap(doc, lineCounter);

  const syntax = syntaxIssues(doc, lineCounter);
  if (syntax.length > 0) return fail(syntax);

  if (format === 'json') {
    // YAML accepts more than JSON (comments, single quotes, trailing commas): a .json file must
    // be JSON for every other tool that reads it.
    const jsonError = strictJsonError(text, lineCounter);
    if (jsonError) return fail([jsonError]);
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml throws here only for resource limits (alias expansion), never for syntax.
    const reason = error instanceof Error ? error.message : String(error);
    return fail([{ path: '', message: `too many aliases (*name) to expand, at most ${MAX_ALIAS_COUNT}: ${reason}` }]);
  }
  if (raw === null || raw === undefined) {
    return fail([{ path: '', message: 'the file is empty: it needs version: 1 and models: [...]', line: 1, column: 1 }]);
  }

  const todos = findTodoMarkers(raw);
  const issues: ModelIssue[] = todos.map((path) => issueAt(path, todoMessage(String(valueAt(raw, path))), sourceMap));

  const parsed = semanticModelSchema.safeParse(raw);
  if (!parsed.success) {
    for (const { path, message } of describeZodIssues(parsed.error.issues, raw)) {
      // A placeholder is reported once, as "fill in", not again as the wrong type it has.
      if (todos.some((todo) => startsWith(path, todo))) continue;
      issues.push(issueAt(path, message, sourceMap));
    }
  }
  if (issues.length > 0) return fail(issues);
  if (!parsed.success) throw new Error('unreachable: zod failed without issues');
  return { ok: true, model: parsed.data, sourceMap };
}

function fail(errors: ModelIssue[]): ParseResult {
  return { ok: false, errors: sortIssues(errors) };
}

function utf8Length(text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no encoding to be known small.
  if (text.length * 3 <= MAX_MODEL_FILE_BYTES) return text.length;
  return new TextEncoder().encode(text).byteLength;
}

function startsWith(path: ModelPath, prefix: ModelPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));
}

// ---------------------------------------------------------------------------------------------
// Syntax
// ---------------------------------------------------------------------------------------------

function syntaxIssues(doc: Document, lineCounter: LineCounter): ModelIssue[] {
  const problems = [...doc.errors, ...doc.warnings];
  const duplicates = problems.filter((e) => e.code === 'DUPLICATE_KEY');
  const others = problems.filter((e) => e.code !== 'DUPLICATE_KEY').slice(0, MAX_SYNTAX_ERRORS);
  return [...duplicates, ...others].map((error) => {
    const offset = error.pos[0];
    const { line, col } = lineCounter.linePos(offset);
    const { path, onKey } = pathAtOffset(doc, offset);
    if (error.code === 'DUPLICATE_KEY' && onKey) {
      const message = `duplicate key "${String(path.at(-1))}": each key may appear once in a mapping`;
      return { path: formatPath(path), message, line, column: col };
    }
    // Around a syntax error, what looks like a key is often the broken text itself
    // ("primary_key:id"): name the mapping that holds it instead.
    if (onKey) path.pop();
    return { path: formatPath(path), message: `YAML syntax error: ${firstLine(error.message)}`, line, column: col };
  });
}

/** yaml's messages end with " at line L, column C:" and a code frame; we report the position apart. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

function strictJsonError(text: string, lineCounter: LineCounter): ModelIssue | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const issue: ModelIssue = { path: '', message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}` };
    if (position?.[1] !== undefined) {
      const { line, col } = lineCounter.linePos(Number(position[1]));
      issue.line = line;
      issue.column = col;
    }
    return issue;
  }
}

// ---------------------------------------------------------------------------------------------
// Positions: a path → the node written for it, and an offset → the path around it
// ---------------------------------------------------------------------------------------------

function createSourceMap(doc: Document, lineCounter: LineCounter): SourceMap {
  return {
    locate(path) {
      const offset = offsetOf(doc, path);
      if (offset === undefined) return undefined;
      const { line, col } = lineCounter.linePos(offset);
      return { line, column: col };
    },
  };
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/**
 * Where the path's node starts. A mapping key points at the key itself (`type: median` → `type`),
 * so that block values report the line of their key; a missing key points at its parent.
 */
function offsetOf(doc: Document, path: ModelPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    node = resolve(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = (item as Node).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function contains(node: unknown, offset: number): boolean {
  const range = (node as Node | null)?.range;
  return range !== undefined && range !== null && range[0] <= offset && offset < Math.max(range[2], range[0] + 1);
}

/**
 * The path of the innermost key or item written at `offset`, for syntax errors; `onKey` when the
 * offset is on a mapping key (the last segment is then that key).
 */
function pathAtOffset(doc: Document, offset: number): { path: (string | number)[]; onKey: boolean } {
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && (contains(item.key, offset) || contains(item.value, offset)));
      if (!pair || !isScalar(pair.key)) return { path, onKey: false };
      path.push(String(pair.key.value));
      if (contains(pair.key, offset)) return { path, onKey: true };
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item, offset));
      if (index < 0) return { path, onKey: false };
      path.push(index);
      node = node.items[index];
    } else {
      return { path, onKey: false };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// zod issues → messages a person writing YAML understands
// ---------------------------------------------------------------------------------------------

type ZodIssue = z.core.$ZodIssue;

function describeZodIssues(issues: readonly ZodIssue[], raw: unknown): { path: ModelPath; message: string }[] {
  const described: { path: ModelPath; message: string }[] = [];
  for (const issue of issues) {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    const value = valueAt(raw, path);
    switch (issue.code) {
      case 'unrecognized_keys':
        // One issue per key, at the key, so the line is the typo's line.
        for (const key of issue.keys) described.push({ path: [...path, key], message: `unknown field "${key}"` });
        continue;
      case 'invalid_union':
        // A discriminated union (measure/dimension type, window kind) whose tag matched no option.
        if (issue.discriminator !== undefined && issue.errors.length === 0 && 'options' in issue) {
          const field = String(path.at(-1) ?? issue.discriminator);
          const options = (issue.options ?? []).map(String).join(', ');
          // "measure type", "dimension type", "window kind": named after the list or key holding it.
          const owner = typeof path.at(-2) === 'number' ? path.at(-3) : path.at(-2);
          const what = typeof owner === 'string' ? `${owner.replace(/s$/, '')} ${field}` : field;
          described.push({
            path,
            message:
              value === undefined
                ? `missing "${field}": expected one of ${options}`
                : `unknown ${what} ${JSON.stringify(value)}: expected one of ${options}`,
          });
          continue;
        }
        break;
      case 'invalid_type':
        if (value === undefined && path.length > 0) {
          described.push({ path, message: `missing required field "${String(path.at(-1))}"` });
          continue;
        }
        if (path.length === 0) {
          described.push({ path, message: `the file must be a mapping with version: 1 and models: [...], not ${kindOf(value)}` });
          continue;
        }
        described.push({ path, message: `expected ${article(issue.expected)}, got ${kindOf(value)}` });
        continue;
      case 'invalid_value': {
        const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
        described.push({
          path,
          message: issue.values.length === 1 ? `expected ${allowed}, got ${JSON.stringify(value)}` : `${JSON.stringify(value)} is not one of ${allowed}`,
        });
        continue;
      }
      case 'too_big':
        if (issue.origin === 'array') {
          described.push({ path, message: `too many items: at most ${String(issue.maximum)} allowed` });
          continue;
        }
        if (issue.origin === 'string') {
          described.push({ path, message: `too long: at most ${String(issue.maximum)} characters` });
          continue;
        }
        if (issue.origin === 'number') {
          described.push({ path, message: `too big: at most ${String(issue.maximum)}, got ${String(value)}` });
          continue;
        }
        break;
      case 'too_small':
        if (issue.origin === 'array') {
          described.push({ path, message: `needs at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}` });
          continue;
        }
        if (issue.origin === 'string') {
          described.push({ path, message: 'must not be empty' });
          continue;
        }
        if (issue.origin === 'number') {
          described.push({ path, message: `too small: at least ${String(issue.minimum)}, got ${String(value)}` });
          continue;
        }
        break;
      default:
        break;
    }
    described.push({ path, message: issue.message });
  }
  return described;
}

/** zod's type names in the words of a YAML file. */
function article(expected: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', int: 'an integer', number: 'a number' };
  return names[expected] ?? (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
