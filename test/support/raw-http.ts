import { connect } from 'node:net';

export type RawExchange = {
  /** Everything the server sent. */
  response: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Bytes of the body the client still had to send when the server closed the connection. */
  unsent: number;
};

/**
 * Sends `head` (request line and headers, without the blank line) and then `body` as a slow client
 * does: `first` bytes at once, then one byte every `trickleMs` (never, with `stall`), until the
 * server closes the connection. Resolves with what the server answered.
 */
export function slowRequest(
  port: number,
  head: string,
  body: string,
  { first = 1, trickleMs = 50, stall = false }: { first?: number; trickleMs?: number; stall?: boolean } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const bytes = Buffer.from(body);
    let sent = 0;
    let received = '';
    let timer: ReturnType<typeof setInterval> | undefined;
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
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', () => {}); // a reset after the answer still ends the exchange below
    socket.once('close', () => {
      clearInterval(timer);
      const [rawHead = '', ...rest] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = rawHead.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      if (!status) return reject(new Error(`no HTTP answer before the connection closed: ${JSON.stringify(received)}`));
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ response: received, status, headers, body: rest.join('\r\n\r\n'), unsent: bytes.length - sent });
    });
  });
}

/** A chunked request body's encoding of `text` (one chunk), with its terminator. */
export const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
