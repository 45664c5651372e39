import { describe, expect, it } from 'vitest';
import { chooseVolumeHost, type StorageHost } from './placement.ts';

const storage = (freeGiB: number) => ({ backend: 'file', pool: 'raw', totalGiB: 500, freeGiB, address: '127.0.0.1' });
const hosts: StorageHost[] = [
  { id: 'a', up: true, storage: storage(100) },
  { id: 'b', up: true, storage: storage(300) },
  { id: 'c', up: false, storage: storage(900) },
  { id: 'd', up: true },
];

describe('volume placement', () => {
  it('takes the up host with storage and the most free space after what is placed there', () => {
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 1 })).toBe('b');
    expect(chooseVolumeHost(hosts, new Map([['b', 250]]), { sizeGiB: 1 })).toBe('a');
    expect(chooseVolumeHost(hosts, new Map([['b', 200]]), { sizeGiB: 1 })).toBe('a');
  });

  it('prefers the wanted host when it fits, else falls back', () => {
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 1, prefer: 'a' })).toBe('a');
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 1, prefer: 'd' })).toBe('b');
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 150, prefer: 'a' })).toBe('b');
  });

  it('honours same_host / different_host and capacity; null when nothing fits', () => {
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 1, only: ['a'] })).toBe('a');
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 1, avoid: ['b'] })).toBe('a');
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 1, only: ['c', 'd'] })).toBeNull();
    expect(chooseVolumeHost(hosts, new Map(), { sizeGiB: 400 })).toBeNull();
  });
});
