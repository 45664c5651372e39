import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ReplyEnvelope } from '../shared/schemas/agent-protocol.ts';

/**
 * The agent's durable record of executed commands: request id -> reply. A redelivered command (QoS 1 duplicate, a
 * site resending after its restart) is answered from here and never executed twice. Bounded to the last `limit`
 * entries; stored as JSON lines (appended per command, compacted when the file holds twice the limit).
 */
export interface RequestLog {
  get(requestId: string): ReplyEnvelope | undefined;
  put(reply: ReplyEnvelope): void;
  readonly size: number;
}

/** Opens (or creates) the record at `file`; `file` null keeps it in memory only. */
export function openRequestLog(file: string | null, limit = 10_000): RequestLog {
  const entries = new Map<string, ReplyEnvelope>();
  let lines = 0;
  if (file && existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as ReplyEnvelope;
        entries.delete(r.requestId);
        entries.set(r.requestId, r);
        lines++;
      } catch {
        // A torn last line after a crash: the command it recorded may run again, which drivers tolerate (idempotent).
      }
    }
  }
  const trim = () => {
    for (const k of entries.keys()) {
      if (entries.size <= limit) break;
      entries.delete(k);
    }
  };
  trim();
  if (file) mkdirSync(dirname(file), { recursive: true });

  const compact = () => {
    if (!file) return;
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, [...entries.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, file);
    lines = entries.size;
  };

  return {
    get: (id) => entries.get(id),
    put(reply) {
      entries.delete(reply.requestId);
      entries.set(reply.requestId, reply);
      trim();
      if (!file) return;
      appendFileSync(file, `${JSON.stringify(reply)}\n`);
      lines++;
      if (lines > 2 * limit) compact();
    },
    get size() {
      return entries.size;
    },
  };
}
