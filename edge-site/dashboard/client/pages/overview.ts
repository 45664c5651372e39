/** Usage against quotas, like Horizon's overview: Nova `/limits` and Cinder `/limits`, as SVG donuts. */
import type { VNode } from 'preact';
import { api, base } from '../api.ts';
import { megabytes, usage } from '../format.ts';
import type { Session } from '../session.ts';
import { Donut, ErrorBox, Header, html, useResource } from '../ui.ts';

type Absolute = Record<string, number>;

async function limits(): Promise<{ compute: Absolute; volume: Absolute | null; volumeError: string | null }> {
  const compute = (await api<{ limits: { absolute: Absolute } }>('GET', `${base('compute')}/limits`)).limits.absolute;
  try {
    const volume = (await api<{ limits: { absolute: Absolute } }>('GET', `${base('volume')}/limits`)).limits.absolute;
    return { compute, volume, volumeError: null };
  } catch (e) {
    return { compute, volume: null, volumeError: e instanceof Error ? e.message : String(e) };
  }
}

/** The overview page. */
export function OverviewPage({ session }: { session: Session }): VNode {
  const r = useResource(limits, [session.project.id], 5000);
  const c = r.data?.compute;
  const v = r.data?.volume;
  const n = (o: Absolute | null | undefined, k: string) => o?.[k] ?? 0;
  const charts = c
    ? [
        { title: 'Instances', ...usage(n(c, 'totalInstancesUsed'), n(c, 'maxTotalInstances')) },
        { title: 'vCPUs', ...usage(n(c, 'totalCoresUsed'), n(c, 'maxTotalCores')) },
        { title: 'RAM', ...usage(n(c, 'totalRAMUsed'), n(c, 'maxTotalRAMSize'), megabytes) },
        ...(v
          ? [
              { title: 'Volumes', ...usage(n(v, 'totalVolumesUsed'), n(v, 'maxTotalVolumes')) },
              {
                title: 'Volume storage',
                ...usage(n(v, 'totalGigabytesUsed'), n(v, 'maxTotalVolumeGigabytes'), (x) => `${x} GiB`),
              },
            ]
          : []),
      ]
    : [];
  return html`<section>
    <${Header} title="Overview" />
    <p class="muted">Limit summary of project <strong>${session.project.name}</strong> at this site.</p>
    <${ErrorBox} error=${r.error ?? r.data?.volumeError ?? null} />
    <div class="donuts">${charts.map((d) => html`<${Donut} title=${d.title} fraction=${d.fraction} label=${d.label} />`)}</div>
  </section>` as VNode;
}
