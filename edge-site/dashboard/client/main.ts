/** The dashboard's entry: sign-in gate, layout (navigation, project and region switchers), hash routing. */
import { render, type VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adopt, logout, revoke, setSignedOutHandler } from './api.ts';
import { AdminPage } from './pages/admin.ts';
import { FederationPage } from './pages/federation.ts';
import { HandoverPage } from './pages/handover.ts';
import { ImagesPage } from './pages/images.ts';
import { InstancesPage } from './pages/instances.ts';
import { KeypairsPage } from './pages/keypairs.ts';
import { LoginPage } from './pages/login.ts';
import { NetworksPage } from './pages/networks.ts';
import { OverviewPage } from './pages/overview.ts';
import { SecurityGroupsPage } from './pages/security-groups.ts';
import { Switchers } from './pages/switchers.ts';
import { VolumesPage } from './pages/volumes.ts';
import { clearSession, type Handover, loadSession, parseHandoff, type Session, saveSession } from './session.ts';
import { ErrorBox, html, messageOf } from './ui.ts';

const PAGES: Array<{ path: string; title: string; page: (p: { session: Session }) => VNode; admin?: boolean }> = [
  { path: 'overview', title: 'Overview', page: OverviewPage },
  { path: 'instances', title: 'Instances', page: InstancesPage },
  { path: 'images', title: 'Images', page: ImagesPage },
  { path: 'volumes', title: 'Volumes', page: VolumesPage },
  { path: 'networks', title: 'Networks', page: NetworksPage },
  { path: 'keypairs', title: 'Key pairs', page: KeypairsPage },
  { path: 'security-groups', title: 'Security groups', page: SecurityGroupsPage },
  { path: 'admin', title: 'Admin', page: AdminPage, admin: true },
  { path: 'federation', title: 'Federation', page: FederationPage },
];

function route(): string {
  const m = /^#\/([\w-]+)/.exec(location.hash);
  return m?.[1] ?? 'overview';
}

/** A token handed over in the URL fragment by another site's dashboard (region switch); removed from the URL at once. */
function takeHandoff(): { token: string; project: string; page: string } | null {
  const h = parseHandoff(location.hash);
  if (!h) return null;
  history.replaceState(null, '', `${location.pathname}#/${h.page}`);
  return h;
}

/** The skip link moves focus only: the URL fragment is the router's. */
function skipToMain(e: Event): void {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function App(): VNode {
  const [session, setSession] = useState<Session | null>(loadSession());
  const [path, setPath] = useState(route());
  const [handoffError, setHandoffError] = useState<string | null>(null);
  // A hand-over found in the fragment: 'checking' while validated, then the validated session awaiting consent.
  const [handover, setHandover] = useState<Handover | 'checking' | null>(null);
  useEffect(() => {
    setSignedOutHandler(() => setSession(null));
    const onHash = () => setPath(route());
    addEventListener('hashchange', onHash);
    const handoff = takeHandoff();
    if (handoff) {
      setHandover('checking');
      adopt(handoff.token, handoff.project, handoff.page).then(setHandover, (e: unknown) => {
        setHandover(null);
        setHandoffError(messageOf(e));
      });
    }
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const title = PAGES.find((p) => p.path === path)?.title ?? 'Not found';
    document.title = `${title} · Brume`;
  }, [path]);

  if (handover) {
    const h = handover === 'checking' ? null : handover;
    const accept = () => {
      if (!h) return;
      saveSession(h.session);
      setHandover(null);
      setSession(h.session);
    };
    const decline = () => {
      if (h) void revoke(h.session.token);
      clearSession();
      setHandover(null);
      setSession(null);
    };
    return html`<${HandoverPage} handover=${h} onContinue=${accept} onDecline=${decline} />` as VNode;
  }
  if (!session) {
    return html`<${LoginPage} onSignedIn=${setSession} />${handoffError ? html`<${ErrorBox} error=${handoffError} />` : null}` as VNode;
  }
  const isAdmin = session.roles.includes('admin');
  const current = PAGES.find((p) => p.path === path);
  const Page = current?.page;
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${skipToMain}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/overview">Brume</a>
      <${Switchers} session=${session} onSession=${setSession} page=${path} />
      <span class="user" title="Signed-in user">${session.user.name}</span>
      <button type="button" onClick=${() => logout().then(() => setSession(null))}>Sign out</button>
    </header>
    <nav class="side" aria-label="Sections">
      <ul>${PAGES.filter((p) => !p.admin || isAdmin).map(
        (p) =>
          html`<li><a href=${`#/${p.path}`} aria-current=${p.path === path ? 'page' : undefined}>${p.title}</a></li>`,
      )}</ul>
    </nav>
    <main id="main" tabindex="-1">
      ${Page ? html`<${Page} key=${`${path}:${session.project.id}`} session=${session} />` : html`<h1>Not found</h1><p>No page named “${path}”. <a href="#/overview">Overview</a></p>`}
    </main>
  </div>` as VNode;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />` as VNode, root);
