/** report.md: what ran, at which fidelity, the invariants, then each measurement as a table, with the plots. */
import type { RunReport } from './json.ts';
import type { Report, SweepRow } from './write.ts';

type Row = (string | number | null)[];

function table(head: string[], rows: Row[]): string {
  const cell = (v: string | number | null) => (v === null ? '–' : String(v));
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const pct = (v: number | null) => (v === null ? null : `${Math.round(v * 1000) / 10}%`);

function runSections(r: RunReport): string[] {
  const out: string[] = [];
  const lat = r.metrics.api_latency as
    | Record<string, { count: number; p50: number; p90: number; p99: number; max: number; errors: number }>
    | undefined;
  if (lat) {
    out.push('### API latency (ms)', '');
    out.push(
      table(
        ['operation', 'ok', 'errors', 'p50', 'p90', 'p99', 'max'],
        Object.entries(lat).map(([op, v]) => [op, v.count, v.errors, v.p50, v.p90, v.p99, v.max]),
      ),
      '',
    );
  }
  const av = r.metrics.availability as
    | Record<string, { ops: number; overall: number | null; during_partition: number | null }>
    | undefined;
  if (av) {
    const rows = Object.entries(av);
    out.push('### Availability per site', '');
    out.push(
      table(
        ['site', 'operations', 'overall', 'while partitioned'],
        rows.slice(0, 30).map(([s, v]) => [s, v.ops, pct(v.overall), pct(v.during_partition)]),
      ),
      rows.length > 30 ? `\n(first 30 of ${rows.length} sites; all in report.json)` : '',
      '',
    );
  }
  const conv = r.metrics.convergence as
    | {
        after_heal: { heal_at_ms: number; converged_after_ms: number | null }[];
        propagation_ms: { count: number; p50: number; p99: number; max: number };
      }
    | undefined;
  if (conv) {
    out.push('### Convergence and propagation', '');
    for (const h of conv.after_heal) {
      out.push(
        `- heal/restart at t=${h.heal_at_ms / 1000} s: ${h.converged_after_ms === null ? '**did not converge**' : `every acknowledged write at every live site after ${h.converged_after_ms} ms`}`,
      );
    }
    if (conv.after_heal.length === 0) out.push('- no heal or restart in the timeline');
    const p = conv.propagation_ms;
    if (p.count > 0)
      out.push(
        `- cross-site propagation (write here, visible there): p50 ${p.p50} ms, p99 ${p.p99} ms, max ${p.max} ms over ${p.count}`,
      );
    out.push('');
  }
  const c = r.metrics.conflicts as
    | {
        before_timeline: number;
        during_run: number;
        total: number;
        resolved: number;
        by_kind: Record<string, number>;
        same_at_every_site: boolean;
      }
    | undefined;
  if (c) {
    out.push('### Conflict ledger', '');
    out.push(
      `${c.total} entries at the end (${c.before_timeline} already there when the timeline started, ${c.during_run} during the run); by kind: ${JSON.stringify(c.by_kind)}; resolved by an admin: ${c.resolved}; identical count at every site: ${c.same_at_every_site ? 'yes' : 'no'}. Each entry names the winner and why (\`GET /federation/v1/conflicts\`).`,
      '',
    );
  }
  const q = r.metrics.quota as { limit: number; peak_used: number; source: string } | undefined;
  if (q)
    out.push(
      '### Quota',
      '',
      `Peak instances in use across all sites: ${q.peak_used} of ${q.limit} (${q.source}).`,
      '',
    );
  const lw = r.metrics.lost_writes as
    | { acknowledged: number; missing: number; by_kind: Record<string, number> }
    | undefined;
  if (lw) {
    out.push(
      '### Lost writes',
      '',
      `${lw.acknowledged} acknowledged writes (${JSON.stringify(lw.by_kind)}); missing on some live replica after the run: **${lw.missing}**.`,
      '',
    );
  }
  const rep = r.metrics.replication as { messages: number; dropped: number } | undefined;
  if (rep) {
    out.push(
      '### Site-to-site traffic',
      '',
      `${rep.messages} messages, ${rep.dropped} dropped (bytes: see resources below).`,
      '',
    );
  }
  return out;
}

/** The Markdown report; `plots` are file names beside it. */
export function markdownReport(report: Report, plots: string[], resources: unknown): string {
  const out: string[] = [`# Scenario ${report.name} — ${report.mode}`, ''];
  if (report.description) out.push(report.description.trim(), '');
  out.push(
    `Seed ${report.seed}; ${report.deterministic ? 'reproducible bit for bit from the seed (report.json)' : 'not bit-for-bit reproducible (wall-clock-driven parts)'}.`,
    '',
    '**Fidelity** (what is real, what is modelled):',
    '',
    ...report.fidelity.map((f) => `- ${f}`),
    '',
    '## Invariants',
    '',
    table(
      ['', 'invariant', 'detail'],
      report.invariants.map((i) => [i.ok ? '✅' : '❌', i.name, i.detail.replaceAll('|', '\\|')]),
    ),
    '',
    '## Plots',
    '',
    ...plots.map((p) => `![${p}](${p})`),
    '',
  );
  if (report.runs) {
    const rows = (report.metrics.sweep ?? []) as SweepRow[];
    const ops = [
      'identity.user.create',
      'identity.token.issue',
      'identity.token.validate.local',
      'identity.token.validate.remote',
    ];
    out.push('## Sweep: p50 latency (ms) by site count and RTT', '');
    out.push(
      table(
        ['sites', 'RTT ms', ...ops],
        rows.map((r) => [r.sites, r.rtt_ms, ...ops.map((o) => r[o] ?? null)]),
      ),
      '',
    );
    const last = report.runs[report.runs.length - 1];
    if (last) out.push(`## Details of the last variant (${last.label})`, '', ...runSections(last));
  } else {
    out.push('## Measurements', '', ...runSections(report as RunReport));
  }
  out.push('## Resources of this run', '', '```json', JSON.stringify(resources, null, 2), '```', '');
  return out.join('\n');
}
