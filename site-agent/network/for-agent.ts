import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../../shared/ports/logger.ts';
import { isOurProcess, readPid, signal } from '../drivers/qemu/process.ts';
import { createNetworkDataPlane, type NetworkDataPlane } from './data-plane.ts';
import { namespaceName } from './names.ts';
import { parseProviderBridge } from './router.ts';
import { routerNamespacePrefix } from './router-names.ts';
import { alreadyGone, dataPlaneUnavailable, sh } from './sh.ts';

/**
 * The data plane of an agent host (`<dataDir>/network`, namespace named after host id + data folder), or undefined
 * when this host cannot run one: then the agent keeps user-mode NICs, and says why once in its log.
 */
export async function hostDataPlane(
  host: string,
  dataDir: string,
  log: Logger,
  providerBridge?: string,
): Promise<NetworkDataPlane | undefined> {
  const why = await dataPlaneUnavailable();
  if (why) {
    log.warn({ reason: why }, 'no network data plane: VMs get user-mode NICs and cannot reach each other');
    return undefined;
  }
  // The namespace recorded by an earlier run wins (VMs still use its taps), else one named after host + folder.
  const recorded = await readFile(join(dataDir, 'network', 'state.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { namespace?: string }).namespace,
    () => undefined,
  );
  const namespace = recorded ?? namespaceName(host, resolve(dataDir));
  log.info({ namespace }, 'network data plane: bridges, taps, dnsmasq and nftables in this namespace');
  const provider = parseProviderBridge(providerBridge);
  return createNetworkDataPlane({
    dir: join(dataDir, 'network'),
    namespace,
    log: log.child({ namespace }),
    ...(provider ? { provider } : {}),
  });
}

/**
 * Test and teardown helper: removes the data planes of every agent under `root` (their dnsmasq processes and
 * namespaces), whatever state a failed test left them in. VMs are the caller's to kill first.
 */
export async function removeDataPlanes(root: string): Promise<void> {
  const dirs: string[] = [];
  const walk = async (dir: string, depth: number) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const path = join(dir, e.name);
      if (e.name === 'network') dirs.push(path);
      else if (depth < 5) await walk(path, depth + 1);
    }
  };
  await walk(root, 0);
  for (const dir of dirs) {
    const killed: number[] = [];
    for (const f of await readdir(dir).catch(() => [])) {
      if (!f.endsWith('.pid')) continue;
      const pid = await readPid(join(dir, f));
      if (pid !== null && (await isOurProcess(pid, dir))) {
        signal(pid, 'SIGKILL');
        killed.push(pid);
      }
    }
    // SIGKILL is asynchronous: teardown is done only once they are gone (a loaded machine can take a while).
    for (let i = 0; i < 100 && killed.length > 0; i++) {
      const alive = await Promise.all(killed.map((pid) => isOurProcess(pid, dir)));
      if (!alive.includes(true)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const state = await readFile(join(dir, 'state.json'), 'utf8').catch(() => '');
    const ns = (JSON.parse(state || '{}') as { namespace?: string }).namespace;
    // Router namespaces first (site-agent/network/router.ts): they are not inside the host's namespace.
    const all = ns ? await sh('ip', ['netns', 'list']) : '';
    for (const rns of all.split('\n').map((l) => l.split(' ')[0] ?? '')) {
      if (ns && rns.startsWith(routerNamespacePrefix(ns))) await sh('ip', ['netns', 'del', rns]).catch(() => undefined);
    }
    if (ns)
      await sh('ip', ['netns', 'del', ns]).catch((err: unknown) => {
        if (!alreadyGone(err)) throw err;
      });
  }
}
