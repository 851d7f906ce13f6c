// npm run db:bridge — the WebSocket → TCP bridge that lets Neon's driver (wrangler dev) reach a local PostgreSQL.
import { startBridge } from './ws-bridge.js';

const port = Number(process.env.DATABASE_BRIDGE_PORT ?? 5488);
const bridge = await startBridge({ port });
console.log(`WebSocket → PostgreSQL bridge on ${bridge.url} (forwards to loopback addresses only)`);
console.log(`SQL over HTTP (Neon's protocol) on ${bridge.httpUrl}`);
console.log(`Set DATABASE_WS_PROXY=${bridge.url} and DATABASE_HTTP_PROXY=${bridge.httpUrl} for the Worker (npm run dev does this for you).`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void bridge.close().then(() => process.exit(0)));
