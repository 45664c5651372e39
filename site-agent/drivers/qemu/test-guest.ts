import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The tiny guest built by site-agent/guest/build.sh (for tests, benches and local demos). */
export interface TestGuest {
  dir: string;
  /** ELF vmlinux when extraction worked, else the bzImage. */
  kernel: string;
  initrd: string;
  cmdline: string;
  /** Bootable ISO (Glance disk_format `iso`). */
  iso: string;
  isoSha512: string;
}

/**
 * Builds (or reuses) the guest under `cacheDir` (default `./.brume/cache/guest`). Resolves to the guest, or to a
 * sentence saying why it cannot be had here (no QEMU, no apt, …) so a test can skip with that reason.
 */
export async function testGuest(cacheDir = resolve('.brume/cache/guest')): Promise<TestGuest | string> {
  try {
    await execFileAsync('qemu-system-x86_64', ['--version']);
  } catch {
    return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 qemu-utils)';
  }
  const script = resolve(import.meta.dirname, '../../guest/build.sh');
  try {
    await execFileAsync('bash', [script, cacheDir], { maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    return `the test guest cannot be built: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`;
  }
  const manifest = Object.fromEntries(
    (await readFile(join(cacheDir, 'manifest.env'), 'utf8'))
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string | undefined>;
  return {
    dir: cacheDir,
    kernel: join(cacheDir, manifest.KERNEL ?? 'bzImage'),
    initrd: join(cacheDir, manifest.INITRD ?? 'initrd.img'),
    cmdline: manifest.CMDLINE ?? 'console=ttyS0 quiet',
    iso: join(cacheDir, manifest.ISO ?? 'brume-guest.iso'),
    isoSha512: manifest.ISO_SHA512 ?? '',
  };
}
