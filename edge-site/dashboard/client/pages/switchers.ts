/** Project switcher (rescope the token) and region switcher (each region is a site: go to its dashboard). */
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { myProjects, rescope } from '../api.ts';
import { currentRegion, handoffFragment, regions, type Session } from '../session.ts';
import { html, messageOf, value } from '../ui.ts';

/** The two switchers of the top bar. */
export function Switchers({
  session,
  onSession,
  page,
}: {
  session: Session;
  onSession: (s: Session) => void;
  page: string;
}): VNode {
  const [projects, setProjects] = useState<Array<{ id: string; name: string }>>([session.project]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    myProjects(session.token).then(setProjects, (e: unknown) => setError(messageOf(e)));
  }, [session.token]);
  const regionList = regions(session.catalog);
  const here = currentRegion(session.catalog, location.origin);

  const switchProject = (id: string) => {
    if (id === session.project.id) return;
    rescope(session.token, id).then(onSession, (e: unknown) => setError(messageOf(e)));
  };
  const switchRegion = (region: string) => {
    const target = regionList.find((r) => r.region === region);
    if (!target || region === here) return;
    // Another site is another origin (sessionStorage is per origin): hand the token over in the URL fragment, which
    // never reaches a server; the other dashboard rescopes it at its own Keystone and removes it from the URL.
    location.assign(`${target.dashboard}${handoffFragment(session.token, session.project.id, page)}`);
  };

  return html`<div class="switchers">
    <label>Project
      <select id="project-switcher" value=${session.project.id} onChange=${(e: Event) => switchProject(value(e))}>
        ${projects.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
      </select>
    </label>
    <label>Region
      <select id="region-switcher" value=${here ?? ''} onChange=${(e: Event) => switchRegion(value(e))}>
        ${here ? null : html`<option value="">(this site)</option>`}
        ${regionList.map((r) => html`<option value=${r.region}>${r.region}</option>`)}
      </select>
    </label>
    ${error ? html`<span class="error inline" role="alert">${error}</span>` : null}
  </div>` as VNode;
}
