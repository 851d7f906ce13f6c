import { connect } from 'node:net';

export type RawExchange = {
  /** Everything the server sent. */
  response: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes of the body the client had not sent yet when the answer was complete. */
  unsent: number;
  /** Settles when the server closes the connection, with the body bytes still unsent then. */
  closed: Promise<number>;
};

/**
 * Sends `head` (request line and headers, without the blank line) and then `body` as a slow client
 * does: `first` bytes at once, then one byte every `trickleMs` (never, with `stall`), until the
 * server closes the connection. Resolves with the server's answer once it is complete (its
 * Content-Length) or the connection closes; `closed` tells when the server hangs up.
 */
const closers = new Set<import('node:net').Socket>();

/** Closes every connection slowRequest opened (after a test whose server keeps them open). */
export function hangUpAll(): void {
  for (const socket of closers) socket.destroy();
  closers.clear();
}

export function slowRequest(
  port: number,
  head: string,
  body: string,
  { first = 1, trickleMs = 50, stall = false }: { first?: number; trickleMs?: number; stall?: boolean } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    closers.add(socket);
    socket.once('close', () => closers.delete(socket));
    const bytes = Buffer.from(body);
    let sent = 0;
    let received = '';
    let timer: ReturnType<typeof setInterval> | undefined;
    let onClose: (unsent: number) => void = () => {};
    const closed = new Promise<number>((resolve) => (onClose = resolve));
    let answered = false;
    const answer = () => {
      const [rawHead = '', ...rest] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = rawHead.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      return { response: received, status, headers, body: rest.join('\r\n\r\n'), unsent: bytes.length - sent, closed };
    };
    const complete = () => {
      if (!received.includes('\r\n\r\n')) return false;
      const { headers, body: text } = answer();
      return headers['content-length'] !== undefined && Buffer.byteLength(text) >= Number(headers['content-length']);
    };
    socket.once('connect', () => {
      socket.write(`${head}\r\n\r\n`);
      socket.write(bytes.subarray(0, first));
      sent = first;
      if (!stall) {
        timer = setInterval(() => {
          if (sent >= bytes.length || socket.destroyed || !socket.writable) return;
          socket.write(bytes.subarray(sent, sent + 1));
          sent++;
        }, trickleMs);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (!answered && complete()) {
        answered = true;
        resolve(answer());
      }
    });
    socket.on('error', () => {}); // a reset after the answer still ends the exchange below
    socket.once('close', () => {
      clearInterval(timer);
      onClose(bytes.length - sent);
      if (answered) return;
      answered = true;
      const exchange = answer();
      if (!exchange.status) return reject(new Error(`no HTTP answer before the connection closed: ${JSON.stringify(received)}`));
      resolve(exchange);
    });
  });
}

/** A chunked request body's encoding of `text` (one chunk), with its terminator. */
export const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
