/** Display formatting shared by the dashboard's pages (pure). */

/** `1536` -> `1.5 KiB`; null/undefined -> `—`. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** RAM in MiB as Horizon shows it: `512 MB`, `2 GB`. */
export function megabytes(mb: number): string {
  return mb >= 1024 ? `${+(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}

/** Seconds as a short duration: `12 s`, `3 min 5 s`, `2 h 4 min`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

/** Seconds between two ISO 8601 instants (`to - from`), or null when either is missing or unparsable. */
export function secondsBetween(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  return Number.isNaN(a) || Number.isNaN(b) ? null : (b - a) / 1000;
}

/** Usage against a limit (OpenStack's -1 = unlimited): a fraction in [0, 1] and a label like `3 of 10`. */
export function usage(
  used: number,
  limit: number,
  unit = (n: number) => String(n),
): { fraction: number; label: string } {
  if (limit < 0) return { fraction: 0, label: `${unit(used)} of unlimited` };
  if (limit === 0) return { fraction: used > 0 ? 1 : 0, label: `${unit(used)} of ${unit(0)}` };
  return { fraction: Math.min(1, used / limit), label: `${unit(used)} of ${unit(limit)}` };
}

/** The addresses of a Nova server, flattened: `net1: 10.0.0.5, 10.0.0.6; net2: …`. */
export function addresses(a: Record<string, Array<{ addr: string }>> | undefined): string {
  if (!a) return '';
  return Object.entries(a)
    .filter(([, list]) => list.length > 0)
    .map(([net, list]) => `${net}: ${list.map((x) => x.addr).join(', ')}`)
    .join('; ');
}

/** A Nova status for display, with the task state when one runs: `ACTIVE`, `BUILD (spawning)`. */
export function serverStatus(status: string, task: string | null | undefined): string {
  return task ? `${status} (${task})` : status;
}
