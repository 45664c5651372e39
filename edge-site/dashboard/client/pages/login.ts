/** Keystone password sign-in. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { login } from '../api.ts';
import { type Session, takeNotice } from '../session.ts';
import { ErrorBox, Field, html, messageOf, value } from '../ui.ts';
import { type Problems, validateLogin } from '../validate.ts';

/** The login page; `onSignedIn` receives the project-scoped session. */
export function LoginPage({ onSignedIn }: { onSignedIn: (s: Session) => void }): VNode {
  const [f, setF] = useState({ username: '', password: '', domain: 'Default' });
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [notice] = useState(takeNotice());
  const [busy, setBusy] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    const p = validateLogin(f);
    setProblems(p);
    if (Object.keys(p).length > 0) return;
    setBusy(true);
    setError(null);
    login(f.username.trim(), f.password, f.domain.trim()).then(onSignedIn, (err: unknown) => {
      setBusy(false);
      setError(messageOf(err));
    });
  };
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: value(e) });
  return html`<main class="login" id="main">
    <form onSubmit=${submit} novalidate aria-labelledby="login-title">
      <h1 id="login-title">Sign in to Brume</h1>
      ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
      <${ErrorBox} error=${error} />
      <${Field} label="User name" name="username" problems=${problems}>
        <input id="f-username" name="username" autocomplete="username" value=${f.username} onInput=${set('username')} autofocus />
      <//>
      <${Field} label="Password" name="password" problems=${problems}>
        <input id="f-password" name="password" type="password" autocomplete="current-password" value=${f.password} onInput=${set('password')} />
      <//>
      <${Field} label="Domain" name="domain" problems=${problems}>
        <input id="f-domain" name="domain" value=${f.domain} onInput=${set('domain')} />
      <//>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>` as VNode;
}
