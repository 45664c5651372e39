/**
 * Site benchmarks (the edge-site issue): token issue/validate rates, boot-and-delete of servers with the fake
 * driver, `GET /servers/detail` latency at 1,000 servers, idle RSS. Real processes on loopback: one site, two agents.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, type Running, startProcess } from '../edge-site/testing/processes.ts';
import { closedLoop, fmt, percentile, rssMiB } from './lib.ts';

const root = resolve(import.meta.dirname, '..');
const PASSWORD = 'bench-secret';

interface Session {
  url: string;
  token: string;
  projectId: string;
}

async function authenticate(url: string): Promise<Session> {
  const res = await fetch(`${url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(passwordAuth()),
  });
  if (res.status !== 201) throw new Error(`auth failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: { project: { id: string } } };
  return { url, token: res.headers.get('x-subject-token') ?? '', projectId: body.token.project.id };
}

function passwordAuth() {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'admin', domain: { id: 'default' }, password: PASSWORD } },
      },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  };
}

async function api(s: Session, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${s.url}${path}`, {
    method,
    headers: {
      'x-auth-token': s.token,
      'content-type': 'application/json',
      'openstack-api-version': 'compute 2.79',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function startStack(dir: string): Promise<{ site: Running; agents: Running[]; url: string }> {
  const port = await freePort();
  const mqttPort = await freePort();
  const siteConf = join(dir, 'site.json');
  writeFileSync(
    siteConf,
    JSON.stringify({
      site: 'bench',
      dataDir: join(dir, 'site'),
      api: { host: '127.0.0.1', port },
      mqtt: { host: '127.0.0.1', port: mqttPort },
      bootstrap: { adminPassword: PASSWORD },
      logLevel: 'warn',
    }),
  );
  const site = startProcess(process.execPath, [join(root, 'edge-site', 'cli.ts'), 'site', '--config', siteConf]);
  await site.waitFor(/listening on/, 60_000);
  const agents: Running[] = [];
  for (const host of ['bench-host1', 'bench-host2']) {
    const conf = join(dir, `${host}.json`);
    writeFileSync(
      conf,
      JSON.stringify({
        site: 'bench',
        host,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        dataDir: join(dir, host),
        driver: 'fake',
        logLevel: 'warn',
        fake: { vcpus: 64, memoryMiB: 262144, diskGiB: 4096, spawnDelayMs: 20, actionDelayMs: 5 },
      }),
    );
    agents.push(startProcess(process.execPath, [join(root, 'site-agent', 'cli.ts'), '--config', conf]));
  }
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const h = (await (await fetch(`${url}/healthz`)).json()) as { agents: { up: number } };
    if (h.agents.up >= 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { site, agents, url };
}

async function bootMany(s: Session, n: number, flavorRef: string, imageRef: string, concurrency: number) {
  const created = new Map<string, number>();
  const active = new Map<string, number>();
  const queue = Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const res = await api(s, 'POST', '/compute/v2.1/servers', {
          server: { name: `bench-${i}`, flavorRef, imageRef, networks: 'none' },
        });
        if (res.status !== 202) throw new Error(`create failed: ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { server: { id: string } };
        created.set(body.server.id, performance.now());
      }
    }),
  );
  while (active.size < n) {
    const res = await api(s, 'GET', '/compute/v2.1/servers/detail?limit=100000');
    const body = (await res.json()) as { servers: Array<{ id: string; status: string }> };
    const now = performance.now();
    for (const srv of body.servers) {
      if (srv.status === 'ERROR') throw new Error(`server ${srv.id} went to ERROR`);
      if (srv.status === 'ACTIVE' && !active.has(srv.id)) active.set(srv.id, now);
    }
    if (performance.now() - t0 > 300_000) throw new Error(`only ${active.size}/${n} ACTIVE after 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const toActive = [...active].map(([id, at]) => at - (created.get(id) ?? at));
  return { wallMs: performance.now() - t0, toActive, ids: [...created.keys()] };
}

async function deleteAll(s: Session, ids: string[], concurrency: number): Promise<number> {
  const t0 = performance.now();
  const queue = [...ids];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift())
        await api(s, 'DELETE', `/compute/v2.1/servers/${id}`);
    }),
  );
  for (;;) {
    const res = await api(s, 'GET', '/compute/v2.1/servers?limit=100000');
    const body = (await res.json()) as { servers: unknown[] };
    if (body.servers.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

/** Runs the site benchmarks and prints their figures. */
export async function benchSite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'brume-bench-'));
  const stack = await startStack(dir);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const sitePid = stack.site.child.pid ?? 0;
    console.log(`site idle RSS: ${fmt(rssMiB(sitePid))} MiB`);

    const s = await authenticate(stack.url);
    for (const c of [1, 16]) {
      const issue = await closedLoop(c, 3000, async () => {
        const r = await fetch(`${s.url}/v3/auth/tokens?nocatalog`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(passwordAuth()),
        });
        await r.arrayBuffer();
        if (r.status !== 201) throw new Error(String(r.status));
      });
      console.log(
        `token issue  c=${c}: ${fmt(issue.perSecond, 0)}/s  p50 ${fmt(issue.p50, 2)} ms  p99 ${fmt(issue.p99, 2)} ms  errors ${issue.errors}`,
      );
      const validate = await closedLoop(c, 3000, async () => {
        const r = await fetch(`${s.url}/v3/auth/tokens?nocatalog`, {
          headers: { 'x-auth-token': s.token, 'x-subject-token': s.token },
        });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(String(r.status));
      });
      console.log(
        `token validate c=${c}: ${fmt(validate.perSecond, 0)}/s  p50 ${fmt(validate.p50, 2)} ms  p99 ${fmt(validate.p99, 2)} ms  errors ${validate.errors}`,
      );
    }

    // Unlimited quota for the benchmark project, a tiny flavor and a tiny image.
    await api(s, 'PUT', `/compute/v2.1/os-quota-sets/${s.projectId}`, {
      quota_set: { instances: -1, cores: -1, ram: -1 },
    });
    const flavor = await api(s, 'POST', '/compute/v2.1/flavors', {
      flavor: { name: 'bench.tiny', ram: 64, vcpus: 1, disk: 1, id: 'bench-tiny' },
    });
    if (flavor.status !== 200) throw new Error(`flavor: ${flavor.status} ${await flavor.text()}`);
    const img = await api(s, 'POST', '/image/v2/images', {
      name: 'bench',
      disk_format: 'raw',
      container_format: 'bare',
    });
    const image = (await img.json()) as { id: string };
    await fetch(`${s.url}/image/v2/images/${image.id}/file`, {
      method: 'PUT',
      headers: { 'x-auth-token': s.token, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(1024),
    });

    const boot = await bootMany(s, 100, 'bench-tiny', image.id, 16);
    console.log(
      `boot 100 servers (fake driver, c=16): wall ${fmt(boot.wallMs / 1000, 2)} s  create->ACTIVE p50 ${fmt(percentile(boot.toActive, 50), 0)} ms  p95 ${fmt(percentile(boot.toActive, 95), 0)} ms`,
    );
    const del = await deleteAll(s, boot.ids, 16);
    console.log(`delete 100 servers: wall ${fmt(del / 1000, 2)} s`);

    const many = await bootMany(s, 1000, 'bench-tiny', image.id, 16);
    console.log(`boot 1000 servers: wall ${fmt(many.wallMs / 1000, 2)} s`);
    const detail = await closedLoop(1, 5000, async () => {
      const r = await api(s, 'GET', '/compute/v2.1/servers/detail?limit=1000');
      await r.arrayBuffer();
    });
    console.log(
      `GET /servers/detail at 1000 servers: p50 ${fmt(detail.p50, 1)} ms  p99 ${fmt(detail.p99, 1)} ms  (${fmt(detail.perSecond, 1)}/s)`,
    );
    console.log(`site RSS with 1000 servers: ${fmt(rssMiB(sitePid))} MiB`);
  } finally {
    for (const a of stack.agents) await a.stop();
    await stack.site.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
