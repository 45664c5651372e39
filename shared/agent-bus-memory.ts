import {
  type AgentBus,
  type BusClient,
  type BusConnectOptions,
  type BusQos,
  type BusWill,
  topicMatches,
} from './ports/agent-bus.ts';

/** An MQTT broker inside the process (see shared/ports/agent-bus.ts), for the deterministic `sim` and tests. */
export interface MemoryBroker extends AgentBus {
  /** A URL naming this broker (clients' `url` is not checked). */
  readonly url: string;
  /** Drops every client without publishing wills; later connections never complete. */
  close(): void;
  stats(): MemoryBrokerStats;
}

export interface MemoryBrokerStats {
  /** Connected clients. */
  clients: number;
  /** Sessions kept (connected or persistent). */
  sessions: number;
  retained: number;
  /** Messages handed to clients so far. */
  delivered: number;
}

interface Message {
  topic: string;
  payload: Uint8Array;
  qos: BusQos;
}

interface Session {
  id: string;
  clean: boolean;
  filters: Map<string, BusQos>;
  /** QoS 1 messages waiting for the client to come back (persistent sessions only). */
  queue: Message[];
  conn?: Conn;
}

interface Conn {
  session: Session;
  will?: BusWill;
  deliver(m: Message): void;
  drop(): void;
}

/** A node of the subscription trie: one topic level; `+` and `#` are children like any other level. */
interface Node {
  children: Map<string, Node>;
  subs: Map<Session, BusQos>;
}

const node = (): Node => ({ children: new Map(), subs: new Map() });
const encoder = new TextEncoder();

/** Which sessions a topic reaches, with the highest QoS of their matching filters. */
function match(root: Node, levels: string[], out: Map<Session, BusQos>): void {
  const add = (subs: Map<Session, BusQos>) => {
    for (const [s, q] of subs) out.set(s, Math.max(out.get(s) ?? 0, q) as BusQos);
  };
  const walk = (n: Node, i: number) => {
    const hash = n.children.get('#');
    if (hash) add(hash.subs);
    if (i === levels.length) {
      add(n.subs);
      return;
    }
    const exact = n.children.get(levels[i] as string);
    if (exact) walk(exact, i + 1);
    const plus = n.children.get('+');
    if (plus) walk(plus, i + 1);
  };
  walk(root, 0);
}

/**
 * A broker in memory: persistent sessions, QoS 1 queues for absent clients, retained messages, `+`/`#` filters
 * (a trie: routing costs the topic's depth, not the number of clients), last wills on `kill()` and takeover.
 * Connections, deliveries and acknowledgements happen on microtasks in one FIFO queue, so a run with the same
 * inputs delivers the same messages in the same order, and a virtual clock's settle step sees them done.
 */
export function createMemoryBroker(name = 'broker'): MemoryBroker {
  const sessions = new Map<string, Session>();
  const retained = new Map<string, Message>();
  const root = node();
  let delivered = 0;
  let closed = false;

  const jobs: Array<() => void> = [];
  let head = 0;
  let scheduled = false;
  const drain = () => {
    try {
      while (head < jobs.length) (jobs[head++] as () => void)();
    } finally {
      // A job that threw (a handler's bug, reported as uncaught like mqtt.js's) must not stall the queue.
      if (head < jobs.length) queueMicrotask(drain);
      else {
        jobs.length = 0;
        head = 0;
        scheduled = false;
      }
    }
  };
  const later = (job: () => void) => {
    jobs.push(job);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(drain);
    }
  };

  const nodeFor = (filter: string) => {
    let n = root;
    for (const level of filter.split('/')) {
      let c = n.children.get(level);
      if (!c) {
        c = node();
        n.children.set(level, c);
      }
      n = c;
    }
    return n;
  };
  const unsubscribeAll = (s: Session) => {
    for (const f of s.filters.keys()) nodeFor(f).subs.delete(s);
    s.filters.clear();
  };

  const route = (m: Message) => {
    if (m.topic.length === 0) return;
    const targets = new Map<Session, BusQos>();
    match(root, m.topic.split('/'), targets);
    for (const [s, q] of targets) {
      const qos = Math.min(q, m.qos) as BusQos;
      if (s.conn) s.conn.deliver({ ...m, qos });
      else if (qos > 0 && !s.clean) s.queue.push({ ...m, qos });
    }
  };
  const publish = (topic: string, payload: string, qos: BusQos, retain: boolean) => {
    const m: Message = { topic, payload: Buffer.from(encoder.encode(payload)), qos };
    if (retain) {
      if (payload.length === 0) retained.delete(topic);
      else retained.set(topic, m);
    }
    route(m);
  };

  const disconnect = (conn: Conn, withWill: boolean) => {
    const s = conn.session;
    if (s.conn !== conn) return;
    s.conn = undefined;
    conn.drop();
    if (s.clean) {
      unsubscribeAll(s);
      sessions.delete(s.id);
    }
    if (withWill && conn.will) publish(conn.will.topic, conn.will.payload, conn.will.qos, conn.will.retain);
  };

  const connect = (options: BusConnectOptions): BusClient => {
    const handlers = {
      connect: new Set<(sessionPresent: boolean) => void>(),
      message: new Set<(topic: string, payload: Uint8Array) => void>(),
      error: new Set<(err: Error) => void>(),
      close: new Set<() => void>(),
    };
    const on =
      <K extends keyof typeof handlers>(kind: K) =>
      (fn: (typeof handlers)[K] extends Set<infer F> ? F : never) => {
        const set = handlers[kind] as Set<typeof fn>;
        set.add(fn);
        return () => {
          set.delete(fn);
        };
      };
    const fail = (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      for (const h of [...handlers.error]) h(e);
    };
    let conn: Conn | undefined;
    let ended = false;

    const open = () => {
      if (ended || closed) return;
      const held = sessions.get(options.clientId)?.conn;
      if (held) disconnect(held, true);
      let s = sessions.get(options.clientId);
      if (s && options.clean) {
        unsubscribeAll(s);
        sessions.delete(s.id);
        s = undefined;
      }
      const sessionPresent = s !== undefined;
      if (!s) {
        s = { id: options.clientId, clean: options.clean, filters: new Map(), queue: [] };
        sessions.set(s.id, s);
      }
      const c: Conn = {
        session: s,
        ...(options.will ? { will: options.will } : {}),
        deliver(m) {
          later(() => {
            if (conn !== c) return;
            delivered++;
            for (const h of [...handlers.message]) {
              try {
                h(m.topic, m.payload);
              } catch (err) {
                fail(err);
              }
            }
          });
        },
        drop() {
          if (conn !== c) return;
          conn = undefined;
          later(() => {
            for (const h of [...handlers.close]) {
              try {
                h();
              } catch (err) {
                fail(err);
              }
            }
          });
        },
      };
      s.conn = c;
      conn = c;
      for (const h of [...handlers.connect]) {
        try {
          h(sessionPresent);
        } catch (err) {
          fail(err);
        }
      }
      const queued = s.queue.splice(0);
      for (const m of queued) c.deliver(m);
    };
    later(open);

    const live = () => {
      if (!conn) throw new Error(`client ${options.clientId} is not connected`);
      return conn;
    };

    return {
      get connected() {
        return conn !== undefined;
      },
      onConnect: on('connect'),
      onMessage: on('message'),
      onError: on('error'),
      onClose: on('close'),
      publish(topic, payload, opts) {
        try {
          live();
        } catch (err) {
          return Promise.reject(err);
        }
        publish(topic, payload, opts.qos, opts.retain ?? false);
        return new Promise<void>((resolve) => later(resolve));
      },
      subscribe(filters) {
        let c: Conn;
        try {
          c = live();
        } catch (err) {
          return Promise.reject(err);
        }
        const s = c.session;
        for (const [f, qos] of Object.entries(filters)) {
          s.filters.set(f, qos);
          nodeFor(f).subs.set(s, qos);
          const wild = f.includes('+') || f.includes('#');
          if (!wild) {
            const r = retained.get(f);
            if (r) c.deliver({ ...r, qos: Math.min(r.qos, qos) as BusQos });
            continue;
          }
          for (const r of retained.values()) {
            if (topicMatches(f, r.topic)) c.deliver({ ...r, qos: Math.min(r.qos, qos) as BusQos });
          }
        }
        return new Promise<void>((resolve) => later(resolve));
      },
      end() {
        ended = true;
        if (conn) disconnect(conn, false);
        return new Promise<void>((resolve) => later(resolve));
      },
      kill() {
        ended = true;
        if (conn) disconnect(conn, true);
        return new Promise<void>((resolve) => later(resolve));
      },
    };
  };

  return {
    url: `memory://${name}`,
    connect,
    close() {
      closed = true;
      for (const s of [...sessions.values()]) if (s.conn) disconnect(s.conn, false);
    },
    stats: () => ({
      clients: [...sessions.values()].filter((s) => s.conn).length,
      sessions: sessions.size,
      retained: retained.size,
      delivered,
    }),
  };
}
