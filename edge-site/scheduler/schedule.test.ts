import { describe, expect, it } from 'vitest';
import { schedule } from './schedule.ts';
import { host } from './testing.ts';
import { DEFAULT_SCHEDULE_OPTIONS as opts, type ScheduleRequest, type ScheduleResult } from './types.ts';

const small: ScheduleRequest = { vcpus: 1, memoryMiB: 512, diskGiB: 1 };
const chosen = (r: ScheduleResult): string => ('host' in r ? r.host : `error: ${r.reasons.join(' | ')}`);
const reasons = (r: ScheduleResult): string[] => ('error' in r ? r.reasons : []);

describe('schedule', () => {
  it('fails with a clear reason when there are no hosts', () => {
    expect(reasons(schedule(small, [], opts))).toEqual(['No hosts are known to this site.']);
  });

  it('skips down and disabled hosts (ComputeFilter)', () => {
    const r = schedule(small, [host('a', { up: false }), host('b', { enabled: false }), host('c')], opts);
    expect(chosen(r)).toBe('c');
    const none = schedule(small, [host('a', { up: false })], opts);
    expect(reasons(none)[0]).toBe('Filter ComputeFilter returned 0 hosts');
    expect(reasons(none)).toContain('a: ComputeFilter: host is down');
  });

  it('honours the availability zone', () => {
    const hosts = [host('a', { availabilityZone: 'az1' }), host('b', { availabilityZone: 'az2' })];
    expect(chosen(schedule({ ...small, availabilityZone: 'az2' }, hosts, opts))).toBe('b');
    expect(reasons(schedule({ ...small, availabilityZone: 'az3' }, hosts, opts))[0]).toBe(
      'Filter AvailabilityZoneFilter returned 0 hosts',
    );
  });

  it('applies allocation ratios to RAM, cores and disk', () => {
    const h = host('a', { capacity: { vcpus: 2, memoryMiB: 1000, diskGiB: 10 } });
    expect(chosen(schedule({ vcpus: 32, memoryMiB: 1500, diskGiB: 10 }, [h], opts))).toBe('a');
    expect(reasons(schedule({ vcpus: 33, memoryMiB: 1, diskGiB: 1 }, [h], opts))[0]).toBe(
      'Filter CoreFilter returned 0 hosts',
    );
    const ram = reasons(schedule({ vcpus: 1, memoryMiB: 1501, diskGiB: 1 }, [h], opts));
    expect(ram[0]).toBe('Filter RamFilter returned 0 hosts');
    expect(ram[1]).toContain("'RamFilter: (start: 1, end: 0)'");
    expect(reasons(schedule({ vcpus: 1, memoryMiB: 1, diskGiB: 11 }, [h], opts))[0]).toBe(
      'Filter DiskFilter returned 0 hosts',
    );
    const used = host('a', { used: { vcpus: 0, memoryMiB: 12000, diskGiB: 0, instances: 3 } });
    expect(chosen(schedule({ vcpus: 1, memoryMiB: 288, diskGiB: 1 }, [used], opts))).toBe('a');
    expect(chosen(schedule({ vcpus: 1, memoryMiB: 289, diskGiB: 1 }, [used], opts))).toContain('RamFilter');
  });

  it('matches image hypervisor_type and architecture', () => {
    const hosts = [host('arm', { architecture: 'aarch64' }), host('q', { hypervisorType: 'QEMU' })];
    expect(chosen(schedule({ ...small, imageProperties: { hypervisor_type: 'qemu' } }, hosts, opts))).toBe('q');
    expect(chosen(schedule({ ...small, imageProperties: { hw_architecture: 'arm64' } }, hosts, opts))).toBe('arm');
    expect(reasons(schedule({ ...small, imageProperties: { hypervisor_type: 'xen' } }, hosts, opts))[0]).toBe(
      'Filter ImagePropertiesFilter returned 0 hosts',
    );
    const unknownArch = [host('x', { architecture: null })];
    expect(chosen(schedule({ ...small, imageProperties: { hw_architecture: 'x86_64' } }, unknownArch, opts))).toContain(
      'ImagePropertiesFilter',
    );
  });

  it('spreads by free RAM by default and packs when asked, ties by host id', () => {
    const hosts = [
      host('b', { used: { vcpus: 1, memoryMiB: 1024, diskGiB: 1, instances: 1 } }),
      host('c'),
      host('a', { used: { vcpus: 1, memoryMiB: 4096, diskGiB: 1, instances: 1 } }),
    ];
    const spread = schedule(small, hosts, opts);
    expect(chosen(spread)).toBe('c');
    expect('weighed' in spread ? spread.weighed.map((w) => w.host) : []).toEqual(['c', 'b', 'a']);
    expect(chosen(schedule(small, hosts, { ...opts, ramWeigher: 'pack' }))).toBe('a');
    expect(chosen(schedule(small, [host('z'), host('m'), host('q')], opts))).toBe('m');
  });

  it('enforces hard affinity and anti-affinity', () => {
    const hosts = [host('a'), host('b'), host('c')];
    const anti = { policy: 'anti-affinity' as const, memberHosts: ['a', 'c'] };
    expect(chosen(schedule({ ...small, group: anti }, hosts, opts))).toBe('b');
    const full = { policy: 'anti-affinity' as const, memberHosts: ['a', 'b', 'c'] };
    expect(reasons(schedule({ ...small, group: full }, hosts, opts))[0]).toBe(
      'Filter ServerGroupAntiAffinityFilter returned 0 hosts',
    );
    const aff = { policy: 'affinity' as const, memberHosts: ['c'] };
    expect(chosen(schedule({ ...small, group: aff }, hosts, opts))).toBe('c');
    expect(chosen(schedule({ ...small, group: { policy: 'affinity', memberHosts: [] } }, hosts, opts))).toBe('a');
  });

  it('prefers (without requiring) soft affinity and soft anti-affinity', () => {
    const hosts = [host('a'), host('b', { used: { vcpus: 1, memoryMiB: 2048, diskGiB: 1, instances: 1 } })];
    const soft = { policy: 'soft-affinity' as const, memberHosts: ['b'] };
    expect(chosen(schedule({ ...small, group: soft }, hosts, opts))).toBe('a'); // equal weights: RAM 1 vs group 1, id
    expect(
      chosen(schedule({ ...small, group: { ...soft, memberHosts: ['b', 'b'] } }, [hosts[1] ?? host('b')], opts)),
    ).toBe('b');
    const softAnti = { policy: 'soft-anti-affinity' as const, memberHosts: ['a'] };
    expect(chosen(schedule({ ...small, group: softAnti }, [host('a'), host('b')], opts))).toBe('b');
  });

  it('ignores and forces hosts', () => {
    const hosts = [host('a'), host('b', { enabled: false })];
    expect(chosen(schedule({ ...small, ignoreHosts: ['a'] }, hosts, opts))).toContain('ComputeFilter');
    expect(reasons(schedule({ ...small, ignoreHosts: ['a', 'b'] }, hosts, opts))[0]).toBe(
      'Host filter ignoring hosts: a, b',
    );
    expect(chosen(schedule({ ...small, forceHost: 'b', availabilityZone: 'elsewhere' }, hosts, opts))).toBe('b');
    expect(reasons(schedule({ ...small, forceHost: 'zz' }, hosts, opts))[0]).toContain("'force_hosts' value of 'zz'");
    const tiny = host('t', { capacity: { vcpus: 1, memoryMiB: 100, diskGiB: 1 } });
    expect(chosen(schedule({ ...small, forceHost: 't' }, [tiny], opts))).toContain('RamFilter');
  });
});
