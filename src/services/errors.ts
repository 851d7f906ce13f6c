/**
 * What services throw when a request cannot be served as asked. They say what went wrong in
 * domain terms; `toProblem` (src/errors.ts) is the one place that turns them into HTTP answers.
 */

/** The thing asked for does not exist (or is not visible to the caller). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly what: 'project' | 'conversation' | 'document',
    message: string,
  ) {
    super(message);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

/** The request is well-formed but contradicts stored state (e.g. a conversation of another project). */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/** A bounded collection is full (e.g. a project's documents at DOCUMENTS_MAX_PER_PROJECT): remove something first. */
export class LimitReachedError extends Error {
  override name = 'LimitReachedError';
}

/** The model path was needed but no model is configured (→ 503). */
export class ModelNotConfigured extends Error {
  override name = 'ModelNotConfigured';
}

/** A project's stored semantic model cannot be read by this version of the service (a deployment mistake). */
export class InvalidStoredModelError extends Error {
  override name = 'InvalidStoredModelError';
}
