/** What every layer of the model checker reports, and how paths are written. */

/** A path into the model file: keys and array indexes, e.g. ['models', 0, 'measures', 1, 'type']. */
export type ModelPath = readonly (string | number)[];

/** One problem in a model file. `line`/`column` are 1-based, present when the source is known. */
export type ModelIssue = { path: string; message: string; line?: number; column?: number };

/** Finds where a path's node is written; the nearest existing ancestor when the node is missing. */
export interface SourceMap {
  locate(path: ModelPath): { line: number; column: number } | undefined;
}

/** ['models', 0, 'measures', 1, 'type'] → 'models[0].measures[1].type'; the root is ''. */
export function formatPath(path: ModelPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** An issue at `path`, with its position when a source map is given. */
export function issueAt(path: ModelPath, message: string, sourceMap?: SourceMap): ModelIssue {
  const position = sourceMap?.locate(path);
  return position
    ? { path: formatPath(path), message, line: position.line, column: position.column }
    : { path: formatPath(path), message };
}

/** File order: by line, issues without a line last; stable otherwise. */
export function sortIssues(issues: ModelIssue[]): ModelIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}

// ---------------------------------------------------------------------------------------------
// Placeholders. Generated drafts (`model:init`) cannot decide everything (which words people use
// for choice code 'P', who owns a table); they write a string starting with TODO there, and the
// checker refuses the file until a person has filled each one in.
// ---------------------------------------------------------------------------------------------

const TODO_MARKER = /^\s*TODO\b[\s:]*/;

/** True for a placeholder value such as "TODO: words for the value P". */
export function isTodoMarker(value: unknown): value is string {
  return typeof value === 'string' && TODO_MARKER.test(value);
}

/** The issue message for a placeholder: what is left to decide. */
export function todoMessage(value: string): string {
  const hint = value.replace(TODO_MARKER, '').trim();
  return hint ? `fill in: ${hint}` : 'fill in this value (it is a TODO placeholder)';
}

/** Paths of every placeholder string in a parsed document, in document order. */
export function findTodoMarkers(value: unknown, path: (string | number)[] = [], found: ModelPath[] = []): ModelPath[] {
  if (isTodoMarker(value)) found.push([...path]);
  else if (Array.isArray(value)) value.forEach((item, index) => findTodoMarkers(item, [...path, index], found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) findTodoMarkers(item, [...path, key], found);
  }
  return found;
}

/** The value at a path of plain parsed data, or undefined. */
export function valueAt(root: unknown, path: ModelPath): unknown {
  let node = root;
  for (const segment of path) {
    // Own properties only: a path segment such as "constructor" must not reach the prototype.
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
