/**
 * The metadata proxy, run by the agent INSIDE its network namespace (`ip netns exec <ns> node metadata-proxy.ts
 * --socket S --pid-file P`), like neutron-metadata-agent's haproxy: it listens on port 80 of the namespace, where
 * the per-network DNAT sends guests' 169.254.169.254 requests, and forwards each GET over the agent's unix socket
 * (reachable across namespaces) with the address it arrived at and the guest's address in headers of its own
 * (whatever the guest sent under those names is replaced). It holds no state and survives agent restarts; its
 * pid file (written by the agent when it starts it) is rewritten once it listens. A standalone script: no imports from the repository.
 */
import { writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { socket: { type: 'string' }, 'pid-file': { type: 'string' }, port: { type: 'string', default: '80' } },
});
const socketPath = values.socket ?? '';
const pidFile = values['pid-file'] ?? '';
if (!socketPath || !pidFile) {
  process.stderr.write('usage: metadata-proxy.ts --socket PATH --pid-file PATH [--port 80]\n');
  process.exit(2);
}

const plain = (status: number, text: string) => ({ status, text });
const server = createServer((req, res) => {
  const reply = ({ status, text }: { status: number; text: string }) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(plain(405, 'Method not allowed'));
  const upstream = request(
    {
      socketPath,
      method: req.method,
      path: req.url ?? '/',
      headers: {
        'x-brume-local-address': (req.socket.localAddress ?? '').replace(/^::ffff:/, ''),
        'x-forwarded-for': (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        accept: req.headers.accept ?? '*/*',
      },
      timeout: 30_000,
    },
    (up) => {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'content-length']) {
        const v = up.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    },
  );
  upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
  upstream.on('error', () => reply(plain(503, 'Metadata service unavailable')));
  upstream.end();
});
server.headersTimeout = 10_000;
server.requestTimeout = 30_000;
server.listen(Number(values.port), '0.0.0.0', () => {
  writeFileSync(pidFile, `${process.pid}\n`);
});
server.on('error', (err) => {
  process.stderr.write(`metadata proxy: ${err.message}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
