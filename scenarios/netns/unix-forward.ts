/**
 * `node unix-forward.ts SOCKET HOST PORT`: accepts on a unix socket and forwards each connection to HOST:PORT. Run
 * inside a site's namespace, it lets the runner (outside every namespace) reach the site's API without giving the
 * host namespace an address: a unix socket is a file, visible across network namespaces.
 */
import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';

const [socket, host, port] = process.argv.slice(2);
if (!socket || !host || !port) {
  process.stderr.write('usage: unix-forward.ts SOCKET HOST PORT\n');
  process.exit(2);
}
rmSync(socket, { force: true });
const server = createServer((c) => {
  const up = createConnection({ host, port: Number(port) });
  c.pipe(up).pipe(c);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
});
server.listen(socket, () => process.stdout.write(`forwarding ${socket} to ${host}:${port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
