/** Small building blocks shared by the pages: the `html` tag, a polling loader hook, tables, fields, charts. */
import htm from 'htm';
import { type ComponentChildren, h, type VNode } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Problems } from './validate.ts';

/** Tagged-template JSX (htm) over preact. */
export const html = htm.bind(h);

/** The message of anything thrown (API errors carry the service's own message). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What `useResource` returns. */
export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` now, when `deps` change and every `pollMs` (if given) — state changes show without a reload. */
export function useResource<T>(load: () => Promise<T>, deps: unknown[] = [], pollMs?: number): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);
  useEffect(() => {
    let stopped = false;
    const run = () => {
      load().then(
        (d) => {
          if (stopped) return;
          setData(d);
          setError(null);
          setLoading(false);
        },
        (e: unknown) => {
          if (stopped) return;
          setError(messageOf(e));
          setLoading(false);
        },
      );
    };
    run();
    const timer = pollMs ? setInterval(run, pollMs) : undefined;
    return () => {
      stopped = true;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** A dismissable error message (role=alert: screen readers announce it). */
export function ErrorBox({ error, onClose }: { error: string | null; onClose?: () => void }): VNode | null {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <span>${error}</span>
    ${onClose ? html`<button type="button" class="link" onClick=${onClose} aria-label="Dismiss">×</button>` : null}
  </div>` as VNode;
}

/** A page heading with optional actions on the right. */
export function Header({ title, children }: { title: string; children?: ComponentChildren }): VNode {
  return html`<div class="page-head"><h1>${title}</h1><div class="actions">${children}</div></div>` as VNode;
}

/** A column of `Table`. */
export interface Column<R> {
  label: string;
  cell: (row: R) => ComponentChildren;
}

/** A data table; `empty` is shown when there are no rows. */
export function Table<R>({
  columns,
  rows,
  empty,
  rowKey,
  label,
}: {
  columns: Array<Column<R>>;
  rows: R[] | undefined;
  empty: string;
  rowKey: (r: R) => string;
  label: string;
}): VNode {
  if (!rows) return html`<p class="muted">Loading…</p>` as VNode;
  if (rows.length === 0) return html`<p class="muted">${empty}</p>` as VNode;
  return html`<div class="table-wrap"><table aria-label=${label}>
    <thead><tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr key=${rowKey(r)} data-row=${rowKey(r)}>${columns.map((c) => html`<td>${c.cell(r)}</td>`)}</tr>`)}</tbody>
  </table></div>` as VNode;
}

/** A labelled form field with its validation message. */
export function Field({
  label,
  name,
  problems,
  children,
}: {
  label: string;
  name: string;
  problems: Problems;
  children: ComponentChildren;
}): VNode {
  const p = problems[name];
  return html`<div class=${`field${p ? ' invalid' : ''}`}>
    <label for=${`f-${name}`}>${label}</label>
    ${children}
    ${p ? html`<span class="problem" id=${`p-${name}`} role="alert">${p}</span>` : null}
  </div>` as VNode;
}

/** Value of an input/select/textarea event. */
export function value(e: Event): string {
  return (e.currentTarget as HTMLInputElement).value;
}

/** A usage donut (SVG, like Horizon's pie charts): `fraction` in [0, 1]. */
export function Donut({ title, fraction, label }: { title: string; fraction: number; label: string }): VNode {
  const r = 42;
  const c = 2 * Math.PI * r;
  const level = fraction >= 0.9 ? 'high' : fraction >= 0.7 ? 'mid' : 'low';
  return html`<figure class="donut">
    <svg viewBox="0 0 100 100" width="120" height="120" role="img" aria-label=${`${title}: ${label}`}>
      <circle cx="50" cy="50" r=${r} class="track" />
      <circle cx="50" cy="50" r=${r} class=${`fill ${level}`} stroke-dasharray=${`${fraction * c} ${c}`}
        transform="rotate(-90 50 50)" />
      <text x="50" y="55" text-anchor="middle">${Math.round(fraction * 100)}%</text>
    </svg>
    <figcaption><strong>${title}</strong><br />${label}</figcaption>
  </figure>` as VNode;
}

/** A horizontal capacity bar (SVG). */
export function Bar({ fraction, label }: { fraction: number; label: string }): VNode {
  const w = Math.max(0, Math.min(1, fraction)) * 100;
  return html`<span class="bar"><svg viewBox="0 0 100 8" preserveAspectRatio="none" width="80" height="10" aria-hidden="true">
    <rect x="0" y="0" width="100" height="8" class="track" /><rect x="0" y="0" width=${w} height="8" class="fill" />
  </svg> ${label}</span>` as VNode;
}
