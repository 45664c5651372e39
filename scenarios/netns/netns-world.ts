/**
 * The `netns` fidelity level: the proc world's real site and agent processes, each site in its own network
 * namespace joined by a veth pair to a bridge in a hub namespace that runs the federation broker (mosquitto).
 * `tc netem` shapes both ends of each veth (latency, jitter, loss, rate); a kernel without netem gets a fault proxy
 * inside each site's namespace on its path to the broker instead, with the rate by `tbf` (shaping.ts). A partition
 * is an nftables rule in the site's namespace dropping its traffic to and from the broker. Every address lives in namespaces this run
 * creates (10.213.0.0/16); the runner reaches each API through a unix socket forwarded inside the namespace.
 * Namespaces are removed at the end, on failure and on Ctrl-C.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Running, startProcess } from '../../edge-site/testing/processes.ts';
import { MOSQUITTO } from '../../shared/testing/mosquitto.ts';
import { createProcWorldOn, type ProcNetwork } from '../proc/proc-world.ts';
import type { Scenario } from '../schema.ts';
import type { World } from '../world.ts';
import { applyRate, netemArgs, probeQdiscs, type Qdiscs, shaperRequest } from './shaping.ts';

const HUB_IP = '10.213.0.1';
const repoRoot = resolve(import.meta.dirname, '..', '..');

function sh(args: string[]): void {
  execFileSync(args[0] as string, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Best effort (cleanup): ignores failures. */
function shQuiet(args: string[]): void {
  try {
    sh(args);
  } catch {
    // Already gone.
  }
}

/** Namespaces left by an earlier run of this tool that died (prefix `brs` + a pid that no longer runs). */
function removeStale(): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const line of out.split('\n')) {
    const m = /^(brs(\d+)-\S+)/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      shQuiet(['ip', 'netns', 'del', m[1]]);
    }
  }
}

/** The shaper's proxy port inside each site's namespace (the namespace is private: any fixed port is free). */
const SHAPER_PORT = 1884;
/** Sites whose path RTT is probed at setup (each probe takes a few round trips). */
const PROBED_SITES = 5;

/** Builds the namespaces, then the proc world on them. */
export async function createNetnsWorld(s: Scenario, seed: number, progress: (line: string) => void): Promise<World> {
  removeStale();
  const tag = `brs${process.pid}`;
  const hub = `${tag}-hub`;
  const ns = new Map<string, { name: string; ip: string; veth: string; peer: string }>();
  const get = (site: string) => {
    const e = ns.get(site);
    if (!e) throw new Error(`no namespace for ${site}`);
    return e;
  };
  const dir = mkdtempSync(join(tmpdir(), 'brume-netns-'));
  const forwarders: Running[] = [];
  let broker: ReturnType<typeof spawn> | undefined;
  const cutState = new Map<string, boolean>();
  let qdiscs: Qdiscs = { netem: false, tbf: false };
  const shaperSocket = (site: string) => join(dir, `${site}.shaper.sock`);

  const teardown = () => {
    for (const f of forwarders) f.child.kill('SIGKILL');
    broker?.kill('SIGKILL');
    for (const n of ns.values()) shQuiet(['ip', 'netns', 'del', n.name]);
    shQuiet(['ip', 'netns', 'del', hub]);
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    teardown();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    progress(`netns: creating ${s.sites.length + 1} namespaces`);
    sh(['ip', 'netns', 'add', hub]);
    sh(['ip', '-n', hub, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', '-n', hub, 'addr', 'add', `${HUB_IP}/16`, 'dev', 'br0']);
    sh(['ip', '-n', hub, 'link', 'set', 'br0', 'up']);
    for (const [i, site] of s.sites.entries()) {
      const n = i + 2;
      const entry = {
        name: `${tag}-s${i}`,
        ip: `10.213.${n >> 8}.${n & 0xff}`,
        veth: 'eth0',
        peer: `h${i}`,
      };
      ns.set(site.name, entry);
      sh(['ip', 'netns', 'add', entry.name]);
      sh(['ip', '-n', entry.name, 'link', 'set', 'lo', 'up']);
      sh(['ip', '-n', hub, 'link', 'add', entry.peer, 'type', 'veth', 'peer', 'name', entry.veth, 'netns', entry.name]);
      sh(['ip', '-n', hub, 'link', 'set', entry.peer, 'master', 'br0']);
      sh(['ip', '-n', hub, 'link', 'set', entry.peer, 'up']);
      sh(['ip', '-n', entry.name, 'addr', 'add', `${entry.ip}/16`, 'dev', entry.veth]);
      sh(['ip', '-n', entry.name, 'link', 'set', entry.veth, 'up']);
      // The partition switch: a table whose rules are added and flushed.
      sh(['ip', 'netns', 'exec', entry.name, 'nft', 'add', 'table', 'inet', 'brume']);
      sh([
        'ip',
        'netns',
        'exec',
        entry.name,
        'nft',
        'add',
        'chain',
        'inet',
        'brume',
        'out',
        '{ type filter hook output priority 0; }',
      ]);
      sh([
        'ip',
        'netns',
        'exec',
        entry.name,
        'nft',
        'add',
        'chain',
        'inet',
        'brume',
        'in',
        '{ type filter hook input priority 0; }',
      ]);
    }
    qdiscs = probeQdiscs(hub);
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener 1883 ${HUB_IP}`,
        'allow_anonymous true',
        'set_tcp_nodelay true',
        'persistence false',
        'log_dest stdout',
        '',
      ].join('\n'),
    );
    broker = spawn('ip', ['netns', 'exec', hub, MOSQUITTO, '-c', conf], { stdio: 'ignore' });
    // One shaper per site: its path to the broker without netem, and the RTT probe in either case.
    progress(`netns: starting ${s.sites.length} link shaper(s) (${qdiscs.netem ? 'netem' : 'fault proxy'})`);
    for (const [i, site] of s.sites.entries()) {
      const f = startProcess('ip', [
        'netns',
        'exec',
        get(site.name).name,
        process.execPath,
        join(repoRoot, 'scenarios', 'netns', 'shaper.ts'),
        shaperSocket(site.name),
        String(SHAPER_PORT),
        HUB_IP,
        '1883',
        String(seed * 1009 + i),
      ]);
      forwarders.push(f);
    }
    await Promise.all(forwarders.map((f) => f.waitFor(/shaper on/, 60_000)));
  } catch (err) {
    teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw new Error(`netns: setting up namespaces failed: ${(err as Error).message}`);
  }

  const shaped = new Set<string>();
  const measured = new Map<string, { rtt: number; declared: number }>();
  const mechanism = () => {
    if (qdiscs.netem) {
      return "links shaped by tc netem on both ends of each site's veth: half the mean of its declared link latencies per direction, jitter, loss, rate";
    }
    return [
      `links shaped by a fault proxy inside each site's namespace on its path to the broker (tc netem is NOT in this kernel): half the mean of its declared link latencies per direction, jitter drawn per chunk (order kept), loss as a 200 ms stall`,
      qdiscs.tbf
        ? 'rate by a tc tbf qdisc on both ends of each veth'
        : 'rate by the proxy (serialization delay with a queue per direction; no tbf in this kernel either)',
    ].join('; ');
  };
  const network: ProcNetwork = {
    get describe() {
      return [
        `one network namespace per site (${tag}-s<i>, 10.213.0.0/16) on a bridge in ${hub}, which runs the federation broker (mosquitto)`,
        mechanism(),
        ...(measured.size > 0
          ? [
              `measured site-to-broker round trip at setup (MQTT CONNECT→CONNACK, median of 3) vs declared: ${[
                ...measured,
              ]
                .map(([site, m]) => `${site} ${m.rtt.toFixed(1)} ms (declared ${m.declared.toFixed(1)} ms)`)
                .join(', ')}`,
            ]
          : []),
        'a partition: nftables rules in each site outside the largest group dropping its traffic to and from the broker',
      ];
    },
    hostOf: (site) => get(site).ip,
    brokerUrlOf: () => (qdiscs.netem ? `mqtt://${HUB_IP}:1883` : `mqtt://127.0.0.1:${SHAPER_PORT}`),
    prefixOf: (site) => ['ip', 'netns', 'exec', get(site).name],
    socketOf: (site) => join(dir, `${site}.sock`),
    async siteStarted(site, port) {
      const f = startProcess('ip', [
        'netns',
        'exec',
        get(site).name,
        process.execPath,
        join(repoRoot, 'scenarios', 'netns', 'unix-forward.ts'),
        join(dir, `${site}.sock`),
        get(site).ip,
        String(port),
      ]);
      forwarders.push(f);
      await f.waitFor(/forwarding/, 30_000);
    },
    async cut(site, cut) {
      const e = get(site);
      if ((cutState.get(site) ?? false) === cut) return;
      cutState.set(site, cut);
      const nft = ['ip', 'netns', 'exec', e.name, 'nft'];
      if (cut) {
        sh([...nft, 'add', 'rule', 'inet', 'brume', 'out', 'ip', 'daddr', HUB_IP, 'drop']);
        sh([...nft, 'add', 'rule', 'inet', 'brume', 'in', 'ip', 'saddr', HUB_IP, 'drop']);
      } else {
        sh([...nft, 'flush', 'chain', 'inet', 'brume', 'out']);
        sh([...nft, 'flush', 'chain', 'inet', 'brume', 'in']);
      }
    },
    async shape(site, link) {
      const e = get(site);
      const first = !shaped.has(site);
      shaped.add(site);
      if (qdiscs.netem) {
        const verb = first ? 'add' : 'change';
        sh(['ip', 'netns', 'exec', e.name, 'tc', 'qdisc', verb, 'dev', e.veth, 'root', 'netem', ...netemArgs(link)]);
        sh(['ip', 'netns', 'exec', hub, 'tc', 'qdisc', verb, 'dev', e.peer, 'root', 'netem', ...netemArgs(link)]);
      } else {
        if (qdiscs.tbf) {
          applyRate(e.name, e.veth, link.bandwidth);
          applyRate(hub, e.peer, link.bandwidth);
        }
        await shaperRequest(shaperSocket(site), { set: { ...link, bandwidth: qdiscs.tbf ? 0 : link.bandwidth } });
      }
      if (first && measured.size < PROBED_SITES) {
        const target = qdiscs.netem ? { host: HUB_IP, port: 1883 } : { host: '127.0.0.1', port: SHAPER_PORT };
        const answer = await shaperRequest(shaperSocket(site), { probe: target });
        measured.set(site, { rtt: Number(answer.replace(/^rtt /, '')), declared: 2 * link.latencyMs });
      }
    },
    traffic() {
      let bytes = 0;
      let messages = 0;
      let dropped = 0;
      for (const e of ns.values()) {
        try {
          const out = execFileSync('ip', ['-n', e.name, '-s', '-j', 'link', 'show', e.veth], { encoding: 'utf8' });
          const st = (
            JSON.parse(out) as { stats64?: { tx?: { bytes: number; packets: number; dropped: number } } }[]
          )[0]?.stats64?.tx;
          bytes += st?.bytes ?? 0;
          messages += st?.packets ?? 0;
          dropped += st?.dropped ?? 0;
        } catch {
          // The namespace is gone.
        }
      }
      return { messages, bytes, dropped };
    },
    async close() {
      teardown();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  try {
    return await createProcWorldOn(s, progress, network, 'netns');
  } catch (err) {
    await network.close();
    throw err;
  }
}
