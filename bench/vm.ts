/**
 * Real-VM benchmarks (the "real VMs" issue): `brume up --driver qemu` with one agent, the tiny guest `brume-tiny`
 * (ISO), 128 MiB flavor. Per VM, through the API: create -> ACTIVE, and create -> `BRUME-GUEST-BOOTED` on its serial
 * console (read from the agent's instance folder, so polling costs the guests nothing); RSS of its QEMU once booted.
 * The floor: a bare `qemu-system-x86_64 -cdrom` boot of the same ISO with the same config drive. Then 5 parallel
 * boots, and 10 when the machine has the memory. Skips with a sentence when QEMU is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBrume } from '../edge-site/testing/processes.ts';
import { buildConfigDrive } from '../site-agent/drivers/qemu/config-drive.ts';
import { testGuest } from '../site-agent/drivers/qemu/test-guest.ts';
import { fmt, percentile, rssMiB } from './lib.ts';

const execFileAsync = promisify(execFile);
const PASSWORD = 'bench-secret';
const HOST = 'bench-host1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Session {
  url: string;
  token: string;
  projectId: string;
}

async function login(url: string): Promise<Session> {
  const domain = { id: 'default' };
  const res = await fetch(`${url}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain, password: PASSWORD } } },
        scope: { project: { name: 'admin', domain } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`auth failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: { project: { id: string } } };
  return { url, token: res.headers.get('x-subject-token') ?? '', projectId: body.token.project.id };
}

async function api<T>(s: Session, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      'x-auth-token': s.token,
      'content-type': 'application/json',
      'openstack-api-version': 'compute 2.79',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

const consoleHas = (file: string, marker: string) => existsSync(file) && readFileSync(file, 'utf8').includes(marker);

interface Boot {
  id: string;
  toActiveMs: number;
  toMarkerMs: number;
  rssMiB: number;
}

/** Creates `n` servers at once and follows each to ACTIVE and to its guest marker. */
async function boot(s: Session, agentDir: string, n: number, flavorRef: string, imageRef: string): Promise<Boot[]> {
  const started = new Map<string, number>();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const t = performance.now();
      const r = await api<{ server: { id: string } }>(s, 'POST', '/compute/v2.1/servers', {
        server: { name: `vm-bench-${i}`, flavorRef, imageRef, networks: 'none' },
      });
      if (r.status !== 202) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
      started.set(r.body.server.id, t);
    }),
  );
  const active = new Map<string, number>();
  const booted = new Map<string, { at: number; rss: number }>();
  const deadline = performance.now() + 300_000;
  while (booted.size < n || active.size < n) {
    if (performance.now() > deadline) throw new Error(`after 300 s: ${active.size} ACTIVE, ${booted.size} booted`);
    if (active.size < n) {
      const r = await api<{ servers: Array<{ id: string; status: string }> }>(s, 'GET', '/compute/v2.1/servers/detail');
      for (const srv of r.body.servers) {
        if (!started.has(srv.id)) continue;
        if (srv.status === 'ERROR') throw new Error(`server ${srv.id} went to ERROR`);
        if (srv.status === 'ACTIVE' && !active.has(srv.id)) active.set(srv.id, performance.now());
      }
    }
    for (const id of started.keys()) {
      const dir = join(agentDir, 'qemu', 'instances', id);
      if (booted.has(id) || !consoleHas(join(dir, 'console.log'), 'BRUME-GUEST-BOOTED')) continue;
      const at = performance.now();
      booted.set(id, { at, rss: rssMiB(Number(readFileSync(join(dir, 'qemu.pid'), 'utf8').trim())) });
    }
    await sleep(25);
  }
  return [...started].map(([id, t]) => ({
    id,
    toActiveMs: (active.get(id) ?? t) - t,
    toMarkerMs: (booted.get(id)?.at ?? t) - t,
    rssMiB: booted.get(id)?.rss ?? Number.NaN,
  }));
}

async function deleteAll(s: Session, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => api(s, 'DELETE', `/compute/v2.1/servers/${id}`)));
  for (let i = 0; i < 1200; i++) {
    const r = await api<{ servers: unknown[] }>(s, 'GET', '/compute/v2.1/servers');
    if (r.body.servers.length === 0) return;
    await sleep(100);
  }
  throw new Error('servers not deleted after 120 s');
}

/** A bare QEMU boot of the ISO with a config drive (what the driver adds: nothing but QMP and the overlay). */
async function bareBoot(dir: string, iso: string, configDrive: string): Promise<{ ms: number; rss: number }> {
  const log = join(dir, 'console.log');
  const pidFile = join(dir, 'pid');
  rmSync(log, { force: true });
  const t = performance.now();
  await execFileAsync('qemu-system-x86_64', [
    ...['-name', 'brume-bench-bare', '-nodefaults', '-no-user-config', '-display', 'none', '-M', 'pc'],
    ...['-accel', 'tcg', '-cpu', 'max', '-m', '128', '-daemonize', '-pidfile', pidFile],
    ...['-serial', `file:${log}`, '-cdrom', iso],
    ...['-drive', `file=${configDrive},if=virtio,format=raw,readonly=on`],
  ]);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    while (!consoleHas(log, 'BRUME-GUEST-BOOTED')) {
      if (performance.now() - t > 120_000) throw new Error('bare boot: no marker after 120 s');
      await sleep(25);
    }
    return { ms: performance.now() - t, rss: rssMiB(pid) };
  } finally {
    process.kill(pid, 'SIGKILL');
  }
}

/** QEMUs a failed run left behind (daemonized, they outlive the agent): ours only, by their pidfiles. */
function killLeftovers(agentDir: string): void {
  const instances = join(agentDir, 'qemu', 'instances');
  if (!existsSync(instances)) return;
  for (const id of readdirSync(instances)) {
    try {
      process.kill(Number(readFileSync(join(instances, id, 'qemu.pid'), 'utf8').trim()), 'SIGKILL');
    } catch {}
  }
}

const memAvailableMiB = () =>
  Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;
const loadAvg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function report(label: string, boots: Boot[]): void {
  const a = boots.map((b) => b.toActiveMs);
  const m = boots.map((b) => b.toMarkerMs);
  const r = boots.map((b) => b.rssMiB);
  console.log(
    `${label}: create->ACTIVE p50 ${fmt(percentile(a, 50) / 1000, 2)} s max ${fmt(Math.max(...a) / 1000, 2)} s  ` +
      `create->BRUME-GUEST-BOOTED p50 ${fmt(percentile(m, 50) / 1000, 2)} s max ${fmt(Math.max(...m) / 1000, 2)} s  ` +
      `QEMU RSS p50 ${fmt(percentile(r, 50), 0)} MiB max ${fmt(Math.max(...r), 0)} MiB`,
  );
}

/** Runs the VM benchmarks and prints their figures. */
export async function benchVm(): Promise<void> {
  const guest = await testGuest();
  if (typeof guest === 'string') {
    console.log(`skipped: ${guest}`);
    return;
  }
  // Short: QMP sockets live under the agent's folder (unix socket paths are limited to 108 bytes).
  const dir = mkdtempSync('/tmp/bvm-');
  const agentDir = join(dir, 'bench', 'agents', HOST);
  const site = startBrume(
    [
      'up',
      '--sites',
      '1',
      '--data-dir',
      dir,
      '--site',
      'bench',
      '--port',
      '0',
      '--mqtt-port',
      '0',
      '--driver',
      'qemu',
      '--agents',
      '1',
    ],
    { BRUME_ADMIN_PASSWORD: PASSWORD, BRUME_LOG_LEVEL: 'error' },
  );
  const ids: string[] = [];
  let s: Session | undefined;
  try {
    await site.waitFor(/Press Ctrl-C to stop/, 240_000);
    const url = (site.output().match(/API (http:\/\/\S+),/) ?? [])[1] ?? '';
    for (let i = 0; i < 200; i++) {
      const h = (await (await fetch(`${url}/healthz`)).json()) as { agents: { up: number } };
      if (h.agents.up >= 1) break;
      await sleep(50);
    }
    s = await login(url);
    const session = s;
    await api(session, 'PUT', `/compute/v2.1/os-quota-sets/${session.projectId}`, {
      quota_set: { instances: -1, cores: -1, ram: -1 },
    });
    await api(session, 'POST', '/compute/v2.1/flavors', {
      flavor: { name: 'vm.bench', ram: 128, vcpus: 1, disk: 1, id: 'vm-bench' },
    });
    const images = await api<{ images: Array<{ id: string }> }>(session, 'GET', '/image/v2/images?name=brume-tiny');
    const imageRef = images.body.images[0]?.id ?? '';
    console.log(`load average before: ${loadAvg()}; MemAvailable ${fmt(memAvailableMiB(), 0)} MiB`);

    // The floor: bare QEMU, same ISO, same kind of config drive.
    const configDrive = join(dir, 'config.iso');
    await buildConfigDrive(
      {
        id: 'bare',
        name: 'bare',
        hostname: 'bare',
        projectId: 'p',
        vcpus: 1,
        memoryMiB: 128,
        diskGiB: 1,
        image: null,
        ports: [],
      },
      join(dir, 'config-drive'),
      configDrive,
    );
    for (let i = 0; i < 3; i++) {
      const b = await bareBoot(dir, guest.iso, configDrive);
      console.log(
        `bare qemu -cdrom brume-guest.iso: ${fmt(b.ms / 1000, 2)} s to BRUME-GUEST-BOOTED, RSS ${fmt(b.rss, 0)} MiB`,
      );
    }

    // One at a time through the API (the first one also downloads the image into the agent's cache).
    for (let i = 0; i < 3; i++) {
      const [b] = await boot(session, agentDir, 1, 'vm-bench', imageRef);
      if (!b) continue;
      ids.push(b.id);
      console.log(
        `API boot #${i + 1}${i === 0 ? ' (image download)' : ''}: create->ACTIVE ${fmt(b.toActiveMs / 1000, 2)} s, ` +
          `create->BRUME-GUEST-BOOTED ${fmt(b.toMarkerMs / 1000, 2)} s, QEMU RSS ${fmt(b.rssMiB, 0)} MiB`,
      );
      await deleteAll(session, ids.splice(0));
    }

    for (const n of [5, 10]) {
      const need = n * 260 + 1024;
      if (n > 5 && memAvailableMiB() < need) {
        console.log(`${n} parallel boots: skipped (MemAvailable ${fmt(memAvailableMiB(), 0)} MiB < ${need} MiB)`);
        continue;
      }
      const t = performance.now();
      const boots = await boot(session, agentDir, n, 'vm-bench', imageRef);
      ids.push(...boots.map((b) => b.id));
      report(`${n} parallel boots (wall ${fmt((performance.now() - t) / 1000, 2)} s)`, boots);
      await deleteAll(session, ids.splice(0));
    }
    console.log(`load average after: ${loadAvg()}`);
  } finally {
    if (s && ids.length > 0) await deleteAll(s, ids).catch(() => undefined);
    await site.stop();
    killLeftovers(agentDir);
    rmSync(dir, { recursive: true, force: true });
  }
}
