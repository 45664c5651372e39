import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFleet } from '../edge-site/fleet/index.ts';
import { testConfig, testDeps } from '../edge-site/testing/deps.ts';

const root = join(import.meta.dirname, '..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

function run(args: string[]): { child: ChildProcess; exit: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'site-agent/cli.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  });
  return { child, exit, output: () => out };
}

describe('site-agent cli', () => {
  it('prints diagnostics and exits 2 on a bad config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brume-cli-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'site: Not_Valid\nheartbeatSeconds: -1\n');
    const p = run(['--config', file]);
    expect(await p.exit).toBe(2);
    expect(p.output()).toContain('site:');
    expect(p.output()).toContain('heartbeatSeconds:');
  });

  it('runs an agent from a YAML file plus flags and stops gracefully on SIGTERM', async () => {
    const deps = await testDeps({ config: testConfig({ site: 'cli', mqtt: { port: 0 } }) });
    const fleet = await createFleet(deps);
    cleanups.push(() => fleet.stop?.());
    const dir = mkdtempSync(join(tmpdir(), 'brume-cli-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, `site: cli\nhost: from-file\nlogLevel: warn\nfake:\n  vcpus: 3\n`);
    const p = run(['--config', file, '--host', 'cli-host', '--mqtt', fleet.mqttUrl, '--data-dir', join(dir, 'a')]);
    await vi.waitFor(() => expect(fleet.fleet.host('cli-host')?.state).toBe('up'), { timeout: 20_000, interval: 50 });
    expect(fleet.fleet.host('cli-host')?.inventory.vcpus).toBe(3);
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    await vi.waitFor(() => expect(fleet.fleet.host('cli-host')?.state).toBe('down'), { timeout: 5000, interval: 20 });
  });
});
