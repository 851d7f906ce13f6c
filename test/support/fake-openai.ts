import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeMode = 'ok' | 'error500' | 'rate429' | 'hang' | 'empty';

/** A scripted reply: text, or tool calls (arguments as the raw JSON text the model would send). */
export type ScriptedReply = { text?: string; toolCalls?: { name: string; arguments: string }[] };

export type RecordedRequest = {
  path: string;
  authorization: string | undefined;
  body: {
    model?: string;
    messages?: { role: string; content: string; tool_call_id?: string }[];
    tools?: { type: string; function: { name: string; parameters: unknown } }[];
    stream?: boolean;
    [key: string]: unknown;
  };
};

/**
 * A small OpenAI-compatible server on loopback, driven by the real `openai` SDK in tests.
 * `mode` decides how the next chat completion is answered.
 */
export class FakeOpenAI {
  mode: FakeMode = 'ok';
  readonly requests: RecordedRequest[] = [];
  /** Hanging requests whose client gave up (closed the connection). */
  abandoned = 0;
  /** When set, `mode` applies to this many more chat calls, then the server answers normally. */
  recoverAfter: number | undefined;
  /** Retry-After sent with 429s, in seconds. */
  retryAfter = '7';
  /** Replies used, in order, before falling back to `mode` (in 'ok' mode). */
  readonly script: ScriptedReply[] = [];
  /** Decides a reply from the request itself (concurrent requests): used before `script` when it returns one. */
  responder: ((body: RecordedRequest['body']) => ScriptedReply | undefined) | undefined;
  /** Pause between streamed chunks, so a client can disconnect mid-answer. */
  chunkDelayMs = 0;
  private server: Server | undefined;
  private hanging = new Set<import('node:http').ServerResponse>();

  get baseURL(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('fake OpenAI server not started');
    return `http://127.0.0.1:${address.port}/v1`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        let body: RecordedRequest['body'] = {};
        try {
          body = JSON.parse(raw || '{}');
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad json"}}');
          return;
        }
        this.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        if (req.method === 'POST' && req.url === '/v1/embeddings') return this.embeddings(body, res);
        if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
          return;
        }
        this.answer(body, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  private answer(body: RecordedRequest['body'], res: import('node:http').ServerResponse): void {
    let mode = this.mode;
    if (this.recoverAfter !== undefined) {
      if (this.recoverAfter <= 0) mode = 'ok';
      this.recoverAfter -= 1;
    }
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    switch (mode) {
      case 'error500':
        return json(500, { error: { message: 'internal failure', type: 'server_error' } });
      case 'rate429':
        return json(429, { error: { message: 'rate limited', type: 'rate_limit_error' } }, { 'retry-after': this.retryAfter });
      case 'hang':
        this.hanging.add(res);
        res.on('close', () => {
          if (this.hanging.delete(res)) this.abandoned += 1;
        });
        return;
      case 'empty':
      case 'ok': {
        const question = body.messages?.findLast((m) => m.role === 'user')?.content ?? '';
        const scripted = mode === 'ok' ? (this.responder?.(body) ?? this.script.shift()) : undefined;
        const reply: ScriptedReply = scripted ?? { text: mode === 'empty' ? '' : `Respuesta del modelo a: ${question}` };
        const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
          id: `call_${index}_${this.requests.length}`,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        }));
        if (body.stream) return void this.stream(res, body.model ?? 'unknown', reply.text ?? '', toolCalls);
        return json(200, {
          id: 'chatcmpl-test',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model ?? 'unknown',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: reply.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
              finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
              logprobs: null,
            },
          ],
          usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
        });
      }
    }
  }

  /** Server-sent chunks as OpenAI streams them: the text word by word, tool calls, usage, [DONE]. */
  private async stream(res: import('node:http').ServerResponse, model: string, text: string, toolCalls: unknown[]): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    this.hanging.add(res);
    let closed = false;
    res.on('close', () => {
      closed = true;
      if (this.hanging.delete(res)) this.abandoned += 1;
    });
    const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-test',
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: usage ? [] : [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        ...(usage ? { usage } : {}),
      })}\n\n`;
    const pieces = text ? text.split(/(?<= )/) : [];
    res.write(chunk({ role: 'assistant', content: '' }, null));
    for (const piece of pieces) {
      if (this.chunkDelayMs) await new Promise((r) => setTimeout(r, this.chunkDelayMs));
      if (closed) return;
      res.write(chunk({ content: piece }, null));
    }
    if (toolCalls.length) res.write(chunk({ tool_calls: toolCalls.map((call, index) => ({ index, ...(call as object) })) }, null));
    res.write(chunk({}, toolCalls.length ? 'tool_calls' : 'stop'));
    res.write(chunk({}, null, { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }));
    res.end('data: [DONE]\n\n');
    this.hanging.delete(res);
  }

  /** When true, /v1/embeddings answers 500 (to test the fall-back to full-text search). */
  embeddingsFail = false;

  /** POST /v1/embeddings: deterministic vectors (fakeEmbedding), one per input, in order. */
  private embeddings(body: RecordedRequest['body'], res: import('node:http').ServerResponse): void {
    const json = (status: number, payload: unknown) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    if (this.embeddingsFail) return json(500, { error: { message: 'embeddings failed', type: 'server_error' } });
    const input = body.input;
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((t) => typeof t === 'string') ? (input as string[]) : null;
    if (!texts) return json(400, { error: { message: 'input must be a string or an array of strings', type: 'invalid_request_error' } });
    json(200, {
      object: 'list',
      model: body.model ?? 'unknown',
      data: texts.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text) })),
      usage: { prompt_tokens: texts.length, total_tokens: texts.length },
    });
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) {
      this.hanging.delete(res);
      res.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** 256 rather than 64: with 64 buckets hash collisions between unrelated words decide rankings. */
export const FAKE_EMBEDDING_DIMENSIONS = 256;

const FAKE_STOP_WORDS = new Set(
  ('a an and are as at be by cada como cual cuanto de del do does el en es esa ese esta este explain for from funciona ' +
    'how i in is it la las lo los me mean means o of on or para por que se significa su the to un una what when work y').split(' '),
);

/**
 * A hashed bag of words of fixed dimension: lower-cased, accents removed, stop words dropped,
 * each word cut to its first 6 letters (a crude stemmer: devolución/devoluciones, return/returns),
 * hashed (FNV-1a) into one of 256 buckets, then L2-normalised. Texts sharing words get similar
 * vectors, which is all a retrieval test needs.
 */
export function fakeEmbedding(text: string): number[] {
  const vector = new Array<number>(FAKE_EMBEDDING_DIMENSIONS).fill(0);
  const words = text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().match(/[a-z0-9]+/g) ?? [];
  for (const word of words) {
    if (FAKE_STOP_WORDS.has(word)) continue;
    const stem = word.slice(0, 6);
    let hash = 0x811c9dc5;
    for (let i = 0; i < stem.length; i++) hash = Math.imul(hash ^ stem.charCodeAt(i), 0x01000193) >>> 0;
    vector[hash % FAKE_EMBEDDING_DIMENSIONS]! += 1;
  }
  const norm = Math.hypot(...vector);
  // No content word at all: the zero vector, similar to nothing.
  return norm === 0 ? vector : vector.map((x) => x / norm);
}
