import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../edge-site/db/client.ts';
import { nextSessionEpoch } from './session-epoch.ts';

describe('session epoch', () => {
  it('grows across restarts even when the clock went backwards', async () => {
    const sdb = await openDatabase(':memory:');
    await sdb.client.execute('CREATE TABLE site_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)');
    const first = await nextSessionEpoch(sdb.db, 10_000);
    expect(first).toBe(10_000);
    expect(await nextSessionEpoch(sdb.db, 5_000)).toBe(10_001); // clock set back
    expect(await nextSessionEpoch(sdb.db, 20_000)).toBe(20_000);
    sdb.close();
  });
});
