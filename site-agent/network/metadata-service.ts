/**
 * The metadata service of an agent's namespace, kernel side and processes (the layout is in metadata.ts): per
 * network an address on `lo`, a routing table whose default route leaves by the network's bridge and a rule sending
 * replies from that address there, the DNAT ruleset, one proxy process in the namespace (metadata-proxy.ts, pid
 * file `metadata-proxy.pid`) and the relay on `metadata.sock` in the agent. `sync` converges all of it on the ports
 * plugged now and is cheap when nothing changed; indexes are kept in `metadata.json`, so an agent restart keeps
 * every network's address.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetadataEndpoint } from '../../shared/metadata-signature.ts';
import type { Logger } from '../../shared/ports/logger.ts';
import { isOurProcess, readPid, signal } from '../drivers/qemu/process.ts';
import {
  assignIndexes,
  instanceFor,
  type MetadataNetwork,
  type MetadataPort,
  metadataAddress,
  renderMetadataRuleset,
  TABLE_BASE,
} from './metadata.ts';
import { createMetadataRelay, type MetadataRelay } from './metadata-relay.ts';
import { bridgeName } from './names.ts';
import { inNs } from './sh.ts';

const PROXY_SCRIPT = fileURLToPath(new URL('./metadata-proxy.ts', import.meta.url));

/** The service's handle (owned by the data plane). */
export interface MetadataService {
  /** Converges on `ports` (all plugged ports of the host) and the site's endpoint (undefined: not known yet). */
  sync(ports: MetadataPort[], endpoint: MetadataEndpoint | undefined): Promise<void>;
  /** Stops the proxy and the relay (before the namespace goes). */
  stop(): Promise<void>;
}

/** Builds the service of namespace `namespace`, with its files in `dir`. */
export function createMetadataService(options: { dir: string; namespace: string; log: Logger }): MetadataService {
  const { dir, namespace: ns } = options;
  const log = options.log.child({ part: 'metadata' });
  const files = {
    indexes: join(dir, 'metadata.json'),
    ruleset: join(dir, 'metadata.nft'),
    socket: join(dir, 'metadata.sock'),
    pid: join(dir, 'metadata-proxy.pid'),
  };
  let indexes: Record<string, number> | undefined;
  let ports: MetadataPort[] = [];
  let endpoint: MetadataEndpoint | undefined;
  let applied = '';
  let warnedFull = false;

  const relay: MetadataRelay = createMetadataRelay({
    socketPath: files.socket,
    log,
    lookup: {
      networkOfIndex: (index) => Object.entries(indexes ?? {}).find(([, i]) => i === index)?.[0],
      instanceFor: (networkId, ip) => instanceFor(ports, networkId, ip),
      endpoint: () => endpoint,
    },
  });

  const loadIndexes = async () => {
    if (indexes) return indexes;
    const text = await readFile(files.indexes, 'utf8').catch(() => '');
    indexes = text ? ((JSON.parse(text) as { networks?: Record<string, number> }).networks ?? {}) : {};
    return indexes;
  };

  /** Addresses, rules and tables: the kernel's view compared with the wanted one, only the differences applied. */
  async function syncRouting(networks: MetadataNetwork[]): Promise<void> {
    const wanted = new Map(networks.map((n) => [metadataAddress(n.index), n]));
    const addrs = JSON.parse(await inNs(ns, 'ip', ['-j', 'addr', 'show', 'dev', 'lo'])) as Array<{
      addr_info?: Array<{ local?: string }>;
    }>;
    const have = new Set(addrs.flatMap((a) => (a.addr_info ?? []).map((i) => i.local ?? '')));
    const rules = JSON.parse(await inNs(ns, 'ip', ['-j', 'rule', 'show'])) as Array<{
      priority?: number;
      src?: string;
      table?: string;
    }>;
    const batch: string[] = [];
    for (const r of rules) {
      const p = r.priority ?? 0;
      const mine = p > TABLE_BASE && p <= TABLE_BASE + 1000;
      if (mine && !(r.src && wanted.get(r.src)?.index === p - TABLE_BASE)) batch.push(`rule del priority ${p}`);
    }
    for (const a of have) {
      if (/^169\.254\.17[01]\./.test(a) && !wanted.has(a)) batch.push(`addr del ${a}/32 dev lo`);
    }
    for (const [address, n] of wanted) {
      const table = TABLE_BASE + n.index;
      if (!have.has(address)) batch.push(`addr add ${address}/32 dev lo`);
      if (!rules.some((r) => r.priority === table && r.src === address)) {
        batch.push(`rule add from ${address} lookup ${table} priority ${table}`);
      }
      batch.push(`route replace default dev ${n.bridge} table ${table}`);
    }
    await inNs(ns, 'ip', ['-force', '-batch', '-'], `${batch.join('\n')}\n`);
    // Requests come in on one bridge and may share a subnet with another: no reverse-path filtering here.
    await inNs(ns, 'sysctl', [
      '-q',
      '-w',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      ...networks.map((n) => `net.ipv4.conf.${n.bridge}.rp_filter=0`),
    ]);
  }

  async function proxyRunning(): Promise<boolean> {
    const pid = await readPid(files.pid);
    return pid !== null && (await isOurProcess(pid, files.socket));
  }

  async function startProxy(): Promise<void> {
    if (await proxyRunning()) return;
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, PROXY_SCRIPT, '--socket', files.socket, '--pid-file', files.pid],
      { detached: true, stdio: 'ignore' },
    );
    child.on('error', (err) => log.error({ err: err.message }, 'metadata proxy could not start'));
    child.on('exit', (code, sig) => {
      if (code !== 0 && sig !== 'SIGTERM') log.error({ code, signal: sig }, 'metadata proxy exited');
    });
    child.unref();
    // `ip netns exec` execs the proxy (same pid): recorded at once, so a teardown never misses a starting proxy.
    if (child.pid !== undefined) await writeFile(files.pid, `${child.pid}\n`);
    log.info({ namespace: ns, pid: child.pid }, 'metadata proxy started');
  }

  return {
    async sync(nextPorts, nextEndpoint) {
      ports = nextPorts;
      endpoint = nextEndpoint ?? endpoint;
      const current = await loadIndexes();
      const networkIds = [...new Set(ports.map((p) => p.networkId))];
      const assigned = assignIndexes(current, networkIds);
      if (Object.keys(assigned).length < networkIds.length && !warnedFull) {
        warnedFull = true;
        log.warn({ networks: networkIds.length }, 'too many networks on this host: some get no metadata service');
      }
      if (JSON.stringify(assigned) !== JSON.stringify(current)) {
        indexes = assigned;
        await mkdir(dir, { recursive: true });
        await writeFile(`${files.indexes}.tmp`, JSON.stringify({ networks: assigned }, null, 2));
        await rename(`${files.indexes}.tmp`, files.indexes);
      }
      if (networkIds.length === 0) return;
      const networks = Object.entries(assigned).map(([networkId, index]) => ({
        networkId,
        index,
        bridge: bridgeName(networkId),
      }));
      const text = renderMetadataRuleset(networks);
      // The kernel state only changes with the set of networks (or after a restart: `applied` starts empty).
      if (text !== applied) {
        await syncRouting(networks);
        await writeFile(files.ruleset, text);
        await inNs(ns, 'nft', ['-f', files.ruleset]);
        applied = text;
      }
      await relay.listen();
      await startProxy();
    },
    async stop() {
      const pid = await readPid(files.pid);
      if (pid !== null && (await isOurProcess(pid, files.socket))) signal(pid, 'SIGTERM');
      await rm(files.pid, { force: true });
      await relay.close();
      applied = '';
    },
  };
}
