import { neon, neonConfig, Pool } from '@neondatabase/serverless';
import { DatabaseUnavailableError, type Database, type DatabaseTimeouts, type Row } from './database.js';
import { asUnavailable, createPoolDatabase, poolTimeoutOptions } from './pg-pool.js';

export type NeonOptions = Partial<DatabaseTimeouts> & {
  connectionString: string;
  /** ws(s)://host:port/path of a WebSocket→TCP proxy, for a PostgreSQL that is not Neon's. */
  wsProxy?: string | undefined;
  /**
   * http(s)://host:port/path of an endpoint speaking Neon's SQL-over-HTTP protocol, for a
   * PostgreSQL that is not Neon's (npm run dev's bridge serves one at /sql). Without a WebSocket
   * proxy the database is Neon's and single statements go to Neon's own endpoint; with one but
   * without this, every statement goes over the WebSocket.
   */
  httpProxy?: string | undefined;
  /** Only where the runtime has no global WebSocket (Node 20): the `ws` package's constructor. */
  webSocketConstructor?: typeof WebSocket;
};

/**
 * Neon's serverless driver, for Workers. Workers forbid sharing I/O objects between requests,
 * so callers create one per request and close it when the request is done. Single statements
 * (nearly all a request runs) go over HTTP, one fetch each: no WebSocket, no PostgreSQL
 * connection set up per request (Neon's endpoint pools them). Transactions and scripts need one
 * connection for several statements: they open a WebSocket connection (the driver's Pool), only
 * when a request runs one.
 */
export function createNeonDatabase(options: NeonOptions): Database {
  if (options.webSocketConstructor) neonConfig.webSocketConstructor = options.webSocketConstructor;
  if (options.wsProxy) {
    const proxy = new URL(options.wsProxy);
    // The driver takes the proxy without its scheme and appends ?address=host:port.
    neonConfig.wsProxy = `${proxy.host}${proxy.pathname}`;
    neonConfig.useSecureWebSocket = proxy.protocol === 'wss:';
    // Pipelining assumes cleartext password auth; a plain PostgreSQL may use trust or SCRAM.
    neonConfig.pipelineConnect = false;
  }
  const { httpProxy } = options;
  // Global in the driver, like wsProxy: one setting per process or isolate.
  if (httpProxy) neonConfig.fetchEndpoint = () => httpProxy;
  const overHttp = !options.wsProxy || httpProxy !== undefined;

  let pooled: Database | undefined;
  // Over HTTP, only a transaction or a script needs a connection: one. Without HTTP, a request's
  // statements that run side by side (the answer's query, the conversation's write) get two.
  const pool = () => (pooled ??= createPoolDatabase(new Pool({ connectionString: options.connectionString, max: overHttp ? 1 : 2, ...poolTimeoutOptions(options) })));
  const sql = overHttp ? neon(options.connectionString) : undefined;
  const { statement_timeout: statementTimeoutMs } = poolTimeoutOptions(options);

  return {
    async query<T extends Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      if (!sql) return pool().query<T>(text, params);
      try {
        // The endpoint has no statement_timeout of ours: the client gives up as pooled queries do.
        return (await sql.query(text, [...params], { fetchOptions: { signal: AbortSignal.timeout(statementTimeoutMs + 1_000) } })) as T[];
      } catch (error) {
        throw httpFailure(error);
      }
    },
    exec: (script) => pool().exec(script),
    transaction: (work, transactionOptions) => pool().transaction!(work, transactionOptions),
    // Untrusted (guarded) SQL runs only in transactions, which keep PostgreSQL's statement_timeout.
    enforcesStatementTimeout: true,
    async close() {
      await pooled?.close();
    },
  };
}

/** The endpoint not answering in time or at all is the database being unavailable; SQL errors keep their code. */
function httpFailure(error: unknown): unknown {
  const source = (error as { sourceError?: unknown }).sourceError;
  if (source instanceof Error && (source.name === 'TimeoutError' || source.name === 'AbortError')) {
    return new DatabaseUnavailableError('timeout', 'the database did not answer in time', { cause: error });
  }
  if (source !== undefined || (error instanceof Error && /^Server error \(HTTP status 5/.test(error.message))) {
    return new DatabaseUnavailableError('unavailable', error instanceof Error ? error.message : String(error), { cause: error });
  }
  return asUnavailable(error);
}
