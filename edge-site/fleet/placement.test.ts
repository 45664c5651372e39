import { describe, expect, it } from 'vitest';
import type { HostInventory } from '../../shared/schemas/agent-protocol.ts';
import type { ClaimRequest, HostState } from '../services.ts';
import { testConfig, testDeps } from '../testing/deps.ts';
import { fleetMetrics } from './metrics.ts';
import { architectureOf, createPlacement } from './placement.ts';

const inventory = (over: Partial<HostInventory> = {}): HostInventory => ({
  vcpus: 2,
  memoryMiB: 2048,
  diskGiB: 20,
  hypervisorType: 'fake',
  hypervisorVersion: 1,
  cpuInfo: JSON.stringify({ arch: 'x86_64' }),
  ...over,
});

const hostState = (id: string, n: number, over: Partial<HostState> = {}): HostState => ({
  id,
  numericId: n,
  state: 'up',
  enabled: true,
  disabledReason: null,
  availabilityZone: 'nova',
  inventory: inventory(),
  lastSeen: 0,
  bootId: 'b',
  ...over,
});

const claim = (consumerId: string, over: Partial<ClaimRequest> = {}): ClaimRequest => ({
  consumerId,
  projectId: 'p1',
  vcpus: 1,
  memoryMiB: 512,
  diskGiB: 1,
  ...over,
});

const ratios = { cpuAllocationRatio: 1, ramAllocationRatio: 1, diskAllocationRatio: 1, ramWeigher: 'spread' };

describe('placement', () => {
  it('never over-commits under 50 concurrent claims on small hosts', async () => {
    const deps = await testDeps({ config: testConfig({ scheduler: ratios }) });
    const hosts = [hostState('a', 1), hostState('b', 2), hostState('c', 3, { inventory: inventory({ vcpus: 1 }) })];
    const p = await createPlacement(deps, { hosts: () => hosts }, fleetMetrics(deps.metrics));
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => p.claim(claim(`s${i}`))));
    const placed = results.filter((r) => r.status === 'fulfilled');
    // a: 2 vCPUs/2048 MiB -> 2 (CPU) ; b -> 2 ; c: 1 vCPU -> 1.
    expect(placed).toHaveLength(5);
    for (const h of hosts) {
      const u = p.usage(h.id);
      expect(u.vcpus).toBeLessThanOrEqual(h.inventory.vcpus);
      expect(u.memoryMiB).toBeLessThanOrEqual(h.inventory.memoryMiB);
    }
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(45);
    expect(failed[0]?.status === 'rejected' ? failed[0].reason : null).toMatchObject({
      code: 'scheduler.no_valid_host',
      details: { reasons: expect.arrayContaining(['Filter CoreFilter returned 0 hosts']) },
    });
    expect(await deps.metrics.render()).toContain('brume_scheduler_decisions_total{result="placed"} 5');
    expect(await deps.metrics.render()).toContain('brume_scheduler_decisions_total{result="no_valid_host"} 45');
  });

  it('claims idempotently per consumer, releases idempotently and reloads from SQLite', async () => {
    const deps = await testDeps();
    const hosts = [hostState('a', 1, { inventory: inventory({ vcpus: 8, memoryMiB: 8192 }) })];
    const metrics = fleetMetrics(deps.metrics);
    const p = await createPlacement(deps, { hosts: () => hosts }, metrics);
    expect(await p.claim(claim('s1', { vcpus: 2, memoryMiB: 1024, diskGiB: 5 }))).toEqual({ host: 'a' });
    expect(await p.claim(claim('s1', { vcpus: 2, memoryMiB: 1024, diskGiB: 5 }))).toEqual({ host: 'a' });
    await p.claim(claim('s2'));
    expect(p.usage('a')).toEqual({ vcpus: 3, memoryMiB: 1536, diskGiB: 6, instances: 2 });
    const again = await createPlacement(deps, { hosts: () => hosts }, metrics);
    expect(again.usage('a')).toEqual({ vcpus: 3, memoryMiB: 1536, diskGiB: 6, instances: 2 });
    await again.release('s1');
    await again.release('s1');
    await again.release('never');
    expect(again.usage('a')).toEqual({ vcpus: 1, memoryMiB: 512, diskGiB: 1, instances: 1 });
    expect(again.usage('zz')).toEqual({ vcpus: 0, memoryMiB: 0, diskGiB: 0, instances: 0 });
  });

  it('skips down hosts and uses image properties and allocation ratios from config', async () => {
    const deps = await testDeps();
    const hosts = [
      hostState('down', 1, { state: 'down', inventory: inventory({ memoryMiB: 99999 }) }),
      hostState('arm', 2, { inventory: inventory({ cpuInfo: JSON.stringify({ arch: 'aarch64' }) }) }),
      hostState('x86', 3),
    ];
    const p = await createPlacement(deps, { hosts: () => hosts }, fleetMetrics(deps.metrics));
    expect(await p.claim(claim('s1', { imageProperties: { hw_architecture: 'aarch64' } }))).toEqual({ host: 'arm' });
    // Default ram ratio 1.5: 3072 MiB fits a 2048 MiB host.
    expect(await p.claim(claim('s2', { memoryMiB: 3072, imageProperties: { architecture: 'x86_64' } }))).toEqual({
      host: 'x86',
    });
    await expect(p.claim(claim('s3', { memoryMiB: 3073 }))).rejects.toMatchObject({ code: 'scheduler.no_valid_host' });
  });

  it('reads the architecture from cpuInfo', () => {
    expect(architectureOf(hostState('a', 1))).toBe('x86_64');
    expect(architectureOf(hostState('a', 1, { inventory: inventory({ cpuInfo: 'not json' }) }))).toBeNull();
    expect(architectureOf(hostState('a', 1, { inventory: inventory({ cpuInfo: undefined }) }))).toBeNull();
  });
});
