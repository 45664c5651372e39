import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BrumeError } from '../../../shared/errors.ts';

const execFileAsync = promisify(execFile);

/** Runs a host tool; a failure becomes `hypervisor.spawn_failed` carrying the tool's stderr. */
export async function run(binary: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(binary, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new BrumeError(
      'internal',
      'hypervisor.spawn_failed',
      `${binary} failed: ${stderr || (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** The pid in a QEMU pidfile, or null when it is absent (QEMU removes it on a clean exit). */
export async function readPid(pidFile: string): Promise<number | null> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/**
 * True when `pid` is a live (non-zombie) process whose command line mentions `marker` (the instance folder), so a
 * recycled pid never passes for our QEMU.
 */
export async function isOurProcess(pid: number, marker: string): Promise<boolean> {
  const [stat, cmdline] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
  ]);
  if (stat === '') return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X' && cmdline.includes(marker);
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
