import { createConnection, type Socket } from 'node:net';
import { BrumeError } from '../../../shared/errors.ts';

/** An asynchronous QMP event (`SHUTDOWN`, `POWERDOWN`, `DEVICE_DELETED`, …). */
export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const qmpError = (message: string, cause?: unknown) =>
  new BrumeError('unavailable', 'hypervisor.qmp_error', message, cause === undefined ? {} : { cause });

/**
 * A dependency-free QMP client: newline-delimited JSON over the VM's unix socket. One connection per operation is
 * the intended use (QEMU's QMP chardev serves one client at a time; holding none lets a restarted agent reattach).
 */
export class QmpClient {
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  readonly #events: QmpEvent[] = [];
  readonly #waiters = new Set<(event: QmpEvent) => void>();
  #buffer = '';
  #nextId = 1;
  #closed = false;
  #closeWaiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Connects, reads the greeting and negotiates capabilities; rejects after `timeoutMs`. */
  static connect(path: string, timeoutMs = 5_000): Promise<QmpClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const client = new QmpClient(socket);
      let greeted = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(qmpError(`QMP handshake on ${path} timed out`));
      }, timeoutMs);
      socket.setEncoding('utf8');
      socket.on('error', (err) => {
        clearTimeout(timer);
        client.#fail(qmpError(`QMP socket ${path}: ${err.message}`, err));
        if (!greeted) reject(qmpError(`cannot connect to QMP at ${path}: ${err.message}`, err));
      });
      socket.on('close', () => {
        client.#fail(qmpError(`QMP connection to ${path} closed`));
        if (!greeted) {
          clearTimeout(timer);
          reject(qmpError(`QMP at ${path} closed before the greeting`));
        }
      });
      socket.on('data', (chunk: string) => {
        client.#buffer += chunk;
        for (let nl = client.#buffer.indexOf('\n'); nl >= 0; nl = client.#buffer.indexOf('\n')) {
          const line = client.#buffer.slice(0, nl).trim();
          client.#buffer = client.#buffer.slice(nl + 1);
          if (line === '') continue;
          const message = JSON.parse(line) as Record<string, unknown>;
          if (!greeted && 'QMP' in message) {
            greeted = true;
            client.execute('qmp_capabilities').then(
              () => {
                clearTimeout(timer);
                resolve(client);
              },
              (err: unknown) => {
                clearTimeout(timer);
                reject(err);
              },
            );
            continue;
          }
          client.#dispatch(message);
        }
      });
    });
  }

  /** Runs a QMP command; resolves with its `return` value, rejects with the QMP error description. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(qmpError(`QMP connection closed before ${command}`));
    const id = `brume-${this.#nextId++}`;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.#socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  /**
   * Resolves with the first event named `name` (and accepted by `match`, when given) received since connecting (or
   * later), or `null` on timeout/close.
   */
  waitEvent(name: string, timeoutMs: number, match?: (event: QmpEvent) => boolean): Promise<QmpEvent | null> {
    const wanted = (e: QmpEvent) => e.event === name && (match === undefined || match(e));
    const seen = this.#events.find(wanted);
    if (seen) return Promise.resolve(seen);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done = (event: QmpEvent | null) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        this.#closeWaiters = this.#closeWaiters.filter((w) => w !== onClose);
        resolve(event);
      };
      const waiter = (event: QmpEvent) => {
        if (wanted(event)) done(event);
      };
      const onClose = () => done(null);
      const timer = setTimeout(() => done(null), timeoutMs);
      this.#waiters.add(waiter);
      this.#closeWaiters.push(onClose);
    });
  }

  /** Closes the connection (QEMU keeps running). */
  close(): void {
    this.#socket.destroy();
  }

  #dispatch(message: Record<string, unknown>): void {
    if (typeof message.event === 'string') {
      const event: QmpEvent = { event: message.event, data: message.data as Record<string, unknown> | undefined };
      this.#events.push(event);
      for (const waiter of [...this.#waiters]) waiter(event);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (!pending || id === undefined) return;
    this.#pending.delete(id);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(qmpError(`QMP ${error.class ?? 'Error'}: ${error.desc ?? 'unknown error'}`));
    } else {
      pending.resolve(message.return);
    }
  }

  #fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
    for (const waiter of this.#closeWaiters) waiter();
    this.#closeWaiters = [];
  }
}
