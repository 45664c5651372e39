/** The metadata shared secret: the configured one, else one generated once per data folder and kept (0600). */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../testing/deps.ts';
import { metadataEndpoint, metadataSecret } from './secret.ts';

describe('metadata secret', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('uses the configured secret, else generates one per data folder, kept across reads', async () => {
    dir = await mkdtemp(join(tmpdir(), 'brume-md-secret-'));
    const configured = testConfig({ dataDir: dir, metadata: { sharedSecret: 'configured-secret-0123456789' } });
    expect(await metadataSecret(configured)).toBe('configured-secret-0123456789');
    const generated = testConfig({ dataDir: dir, api: { host: '127.0.0.1', port: 4321 } });
    const first = await metadataSecret(generated);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await metadataSecret({ ...generated })).toBe(first);
    expect((await readFile(join(dir, 'metadata-secret'), 'utf8')).trim()).toBe(first);
    expect((await stat(join(dir, 'metadata-secret'))).mode & 0o777).toBe(0o600);
    expect(await metadataEndpoint(generated)).toEqual({ url: 'http://127.0.0.1:4321', secret: first });
  });
});
