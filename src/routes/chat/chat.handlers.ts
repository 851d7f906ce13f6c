import type { RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv, AuthedEnv } from '../../app-env.js';
import { problemBody, problemOf } from '../../errors.js';
import { byteBudget } from '../../services/bytes.js';
import type { AskResult } from '../../services/chat/ask.js';
import { ForbiddenError } from '../../services/errors.js';
import type { chatRoute } from './chat.routes.js';
import type { ChatResponse } from './chat.schemas.js';

type ChatHandler = RouteHandler<typeof chatRoute, AppEnv & RouteConfigToEnv<typeof chatRoute>>;

/** POST /api/v1/chat: validate, ask the chat service, answer JSON or a server-sent event stream. */
export const chat: ChatHandler = async (c) => {
  const body = c.req.valid('json');
  const { user, services, config } = c.var;
  if (body.usuario_id !== user.id) throw new ForbiddenError('usuario_id does not match the authenticated user');
  c.set('logFields', { project: body.proyecto, ...(config.LOG_MESSAGES ? { mensaje: body.mensaje } : {}) });
  const input = {
    text: body.mensaje,
    userId: user.id,
    project: body.proyecto,
    conversationId: body.conversacion_id,
    signal: c.var.signal ?? c.req.raw.signal,
    told: c.var.deadline?.told,
    // Per project: only requests that may use it count, so no one can spend another project's quota.
    admit: (project: { slug: string }) => c.var.rateLimiter.enforce(c, { project: project.slug }),
  };

  if (!/\btext\/event-stream\b/i.test(c.req.header('Accept') ?? '')) {
    return c.json(respond(c, await services.chat.ask(input)), 200);
  }
  return streamSSE(c, async (stream) => {
    // A client that goes away stops the model call.
    const gone = new AbortController();
    stream.onAbort(() => gone.abort());
    // Past the request deadline the stream ends with its error, and that is the turn's outcome.
    const deadline = c.var.deadline;
    const outcome = <T>(result: T): T => {
      deadline?.settle();
      if (deadline?.told.aborted) throw deadline.told.reason;
      return result;
    };
    // The deltas together carry at most what the answer event (and the conversation) keeps.
    const within = byteBudget(config.ANSWER_MAX_BYTES);
    try {
      const result = outcome(
        await services.chat.ask({
          ...input,
          signal: AbortSignal.any([input.signal, gone.signal]),
          onDelta: (delta) => {
            const texto = within(delta);
            if (texto) void stream.writeSSE({ event: 'delta', data: JSON.stringify({ texto }) });
          },
        }),
      );
      await stream.writeSSE({ event: 'answer', data: JSON.stringify(respond(c, result)) });
      // The request's own log line was written when the stream began; this one has the outcome.
      c.var.log({ level: 'info', msg: 'stream finished', request_id: c.get('requestId'), user: user.id, ...c.get('logFields') });
    } catch (thrown) {
      deadline?.settle();
      const error = deadline?.told.aborted ? deadline.told.reason : thrown;
      const problem = problemOf(error, c.var.log, c.get('requestId'));
      await stream.writeSSE({ event: 'error', data: JSON.stringify(problemBody(problem, c.req.path, c.get('requestId'))) });
    }
  });
};

/** The API's answer (Spanish field names, as existing clients expect), and the log line's facts. */
function respond(c: Context<AuthedEnv>, { answer, project, conversationId, lookup }: AskResult): ChatResponse {
  const { dbMs = 0, modelMs, modelTokens } = answer.metrics;
  c.set('logFields', {
    ...c.get('logFields'),
    project_cache: lookup.cache,
    fuente: answer.fuente,
    ...(answer.fuente === 'database' ? { consulta: answer.consulta } : {}),
    db_ms: Math.round((dbMs + lookup.ms) * 10) / 10,
    ...(modelMs !== undefined ? { model_ms: modelMs } : {}),
    ...(modelTokens !== undefined ? { model_tokens: modelTokens } : {}),
  });
  return {
    respuesta: answer.respuesta,
    fuente: answer.fuente,
    proyecto: project.slug,
    ...(answer.fuente === 'database' ? { datos: answer.datos, consulta: answer.consulta } : {}),
    ...('sql' in answer ? { sql: answer.sql } : {}),
    ...(answer.fuente === 'documentos' ? { citas: answer.citas } : {}),
    conversacion_id: conversationId,
    request_id: c.get('requestId'),
  };
}
