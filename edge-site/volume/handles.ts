/**
 * Where a volume's bytes are, as recorded in its row's `path`: `brume-agent://<host>/<name>:<path on that host>`
 * for volumes kept by an agent host (the per-host storage), or a plain absolute path for volumes of the site's
 * own data folder (the single-machine layout of earlier versions, still read and attached as before).
 */

/** A volume or snapshot kept on an agent host. */
export interface AgentLocation {
  host: string;
  /** `volume-<id>` or `snapshot-<id>`: the agent's name for it. */
  name: string;
  /** The file on that host (or `memory://…` on a fake host). */
  path: string;
}

const PREFIX = 'brume-agent://';

/** The handle of a volume kept on `host`. */
export function agentHandle(loc: AgentLocation): string {
  return `${PREFIX}${loc.host}/${loc.name}:${loc.path}`;
}

/** The location of an agent handle; null for a site-folder path (or nothing). */
export function parseHandle(handle: string | null | undefined): AgentLocation | null {
  if (!handle?.startsWith(PREFIX)) return null;
  const rest = handle.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const colon = rest.indexOf(':', slash);
  if (slash <= 0 || colon <= slash + 1) return null;
  // An empty path: placed, the create not answered yet.
  return { host: rest.slice(0, slash), name: rest.slice(slash + 1, colon), path: rest.slice(colon + 1) };
}

/** The file format of a volume file (its extension). */
export function formatOf(path: string): 'raw' | 'qcow2' {
  return path.endsWith('.qcow2') ? 'qcow2' : 'raw';
}

/** Cinder's `os-vol-host-attr:host` (`<host>@<backend>#<pool>`) for a volume's handle. */
export function cinderHost(handle: string | null | undefined, site: string): string {
  const loc = parseHandle(handle);
  if (!loc) return `${site}@file#file`;
  if (loc.path.startsWith('memory://')) return `${loc.host}@memory#memory`;
  return `${loc.host}@file#${formatOf(loc.path)}`;
}
