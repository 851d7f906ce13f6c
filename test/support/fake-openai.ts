import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeMode = 'ok' | 'error500' | 'rate429' | 'hang' | 'empty';

export type RecordedRequest = {
  path: string;
  authorization: string | undefined;
  body: { model?: string; messages?: { role: string; content: string }[]; [key: string]: unknown };
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
        const content = mode === 'empty' ? '' : `Respuesta del modelo a: ${question}`;
        return json(200, {
          id: 'chatcmpl-test',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model ?? 'unknown',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
        });
      }
    }
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
