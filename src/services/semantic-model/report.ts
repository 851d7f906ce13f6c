/**
 * The checker's report as people read it: `npm run model:check` and `npm run project:add` print
 * the same lines, so a model refused by project:add reads exactly as model:check showed it.
 * Pure text (no Node APIs): the callers print it.
 */
import type { ModelIssue } from './issues.js';
import type { LayerResult, Validation } from './validate.js';

/** `file:line:column: path: message`; the file alone when the issue has no position. */
export function formatIssue(file: string, issue: ModelIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

function formatLayer(file: string, result: LayerResult): string[] {
  switch (result.status) {
    case 'passed':
      return [`  ${result.layer}: ok`];
    case 'skipped':
      return [`  ${result.layer}: skipped (${result.reason})`];
    case 'failed': {
      const n = result.issues.length;
      return [`  ${result.layer}: ${n} error${n === 1 ? '' : 's'}`, ...result.issues.map((issue) => `    ${formatIssue(file, issue)}`)];
    }
  }
}

/** Errors over every layer that ran. */
export function errorCount(validation: Validation): number {
  return validation.layers.reduce((sum, l) => sum + (l.status === 'failed' ? l.issues.length : 0), 0);
}

/** The file, one block per layer, then the verdict ("ok: no errors" or "N errors"). */
export function formatValidation(file: string, validation: Validation): string[] {
  const errors = errorCount(validation);
  return [
    file,
    ...validation.layers.flatMap((l) => formatLayer(file, l)),
    validation.ok ? 'ok: no errors' : `${errors} error${errors === 1 ? '' : 's'}`,
  ];
}
