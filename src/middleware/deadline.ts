import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.js';
import { ProblemError } from '../errors.js';

export type DeadlineOptions = {
  /** The whole request (REQUEST_TIMEOUT_MS): past it, 504 `request-timeout`. */
  requestMs: number;
  /** Receiving the body (REQUEST_BODY_TIMEOUT_MS): a client still sending past it gets 408. */
  bodyMs: number;
};

/**
 * Bounds the whole request: past `requestMs` the client gets a 504 problem and the request's
 * signal aborts, which cancels an in-flight model call. The signal also aborts when the client
 * leaves. `deadline.told` aborts only when the deadline sent the client an error (its reason);
 * a streamed answer stays under the deadline until its handler calls `deadline.settle()`, just
 * before it sends the outcome.
 *
 * A slow client is the client's fault: while its body is still arriving — past `bodyMs`, or when
 * the whole deadline passes first — the answer is 408 `request-timeout` with `Connection: close`
 * (the server stops reading and drops the connection instead of waiting for the rest), never a
 * 5xx. The body is watched as it streams to whoever reads it (the body limit, the validator), so
 * nothing is buffered here and a body nobody reads is never touched.
 */
export function requestDeadline({ requestMs, bodyMs }: DeadlineOptions) {
  const bodyDeadlineMs = Math.min(bodyMs, requestMs);
  return createMiddleware<AppEnv>(async (c, next) => {
    // Aborted with the error the client is sent, when the deadline sends one.
    const told = new AbortController();
    c.set('signal', AbortSignal.any([c.req.raw.signal, told.signal]));
    const body = watchBody(c.req.raw);
    if (body) c.req.raw = body.request;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const settle = () => {
      for (const timer of timers) clearTimeout(timer);
    };
    c.set('deadline', { told: told.signal, settle });
    const expired = new Promise<never>((_, reject) => {
      const fail = (error: ProblemError) => {
        told.abort(error);
        reject(error);
      };
      const slowBody = (ms: number) =>
        new ProblemError(408, 'request-timeout', `the request body did not arrive within ${ms} ms`, { headers: { Connection: 'close' } });
      if (body) timers.push(setTimeout(() => body.received() || fail(slowBody(bodyDeadlineMs)), bodyDeadlineMs));
      timers.push(setTimeout(() => fail(body && !body.received() ? slowBody(requestMs) : requestTimedOut(requestMs)), requestMs));
    });
    let streaming = false;
    try {
      await Promise.race([next(), expired]);
      streaming = c.res.headers.get('Content-Type')?.startsWith('text/event-stream') ?? false;
    } finally {
      // A streamed answer is still being worked out: its handler settles the deadline once it has one.
      if (!streaming) settle();
    }
  });
}

/** The whole request took longer than REQUEST_TIMEOUT_MS: 504 `request-timeout`. */
export function requestTimedOut(requestMs: number): ProblemError {
  return new ProblemError(504, 'request-timeout', `no answer within ${requestMs} ms`);
}

/**
 * The request with its body passed through a stream that notes when the last byte has been read;
 * undefined for a request without a body. The stream is lazy: it touches the runtime's body only
 * when someone reads it, so a body nobody reads (a 401 before validation) is left to the runtime
 * exactly as before (workerd, for one, holds the connection while a body is locked but not drained).
 */
function watchBody(request: Request): { request: Request; received: () => boolean } | undefined {
  const source = request.body;
  if (!source) return undefined;
  let done = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const watched = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source.getReader();
        const chunk = await reader.read();
        if (chunk.done) {
          done = true;
          controller.close();
        } else {
          controller.enqueue(chunk.value);
        }
      },
      cancel: (reason) => (reader ? reader.cancel(reason) : source.cancel(reason)),
    },
    { highWaterMark: 0 },
  );
  // `duplex` is required by Node's fetch for a streamed body; other runtimes ignore it.
  const init: RequestInit & { duplex: 'half' } = { body: watched, duplex: 'half' };
  return { request: new Request(request, init), received: () => done };
}
