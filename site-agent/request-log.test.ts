import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReplyEnvelope } from '../shared/schemas/agent-protocol.ts';
import { openRequestLog } from './request-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'brume-reqlog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ok = (id: string, result: unknown = id): ReplyEnvelope => ({ v: 1, requestId: id, ok: true, result });

describe('request log', () => {
  it('survives a reopen, including after a torn last line', () => {
    const file = join(dir, 'a.jsonl');
    const log = openRequestLog(file);
    log.put(ok('r1'));
    log.put({ v: 1, requestId: 'r2', ok: false, error: { code: 'x.y', message: 'no', retryable: false } });
    appendFileSync(file, '{"v":1,"requestId":"r3","ok":tr');
    const again = openRequestLog(file);
    expect(again.get('r1')).toEqual(ok('r1'));
    expect(again.get('r2')).toMatchObject({ ok: false, error: { code: 'x.y' } });
    expect(again.get('r3')).toBeUndefined();
  });

  it('keeps only the last `limit` entries and compacts its file', () => {
    const file = join(dir, 'b.jsonl');
    const log = openRequestLog(file, 5);
    for (let i = 0; i < 23; i++) log.put(ok(`r${i}`));
    expect(log.size).toBe(5);
    expect(log.get('r17')).toBeUndefined();
    expect(log.get('r18')).toEqual(ok('r18'));
    expect(readFileSync(file, 'utf8').trim().split('\n').length).toBeLessThanOrEqual(10);
    const again = openRequestLog(file, 5);
    expect(again.size).toBe(5);
    expect(again.get('r22')).toEqual(ok('r22'));
  });

  it('can stay in memory only', () => {
    const log = openRequestLog(null);
    log.put(ok('m'));
    expect(log.get('m')).toEqual(ok('m'));
  });
});
