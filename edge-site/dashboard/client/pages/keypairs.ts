/** Key pairs: list, create (the private key is shown once), import a public key, delete. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base } from '../api.ts';
import type { Session } from '../session.ts';
import { ErrorBox, Field, Header, html, messageOf, Table, useResource, value } from '../ui.ts';
import { type Problems, validateKeypair } from '../validate.ts';

interface Keypair {
  name: string;
  fingerprint: string;
  type?: string;
}

/** The key pairs page. */
export function KeypairsPage({ session }: { session: Session }): VNode {
  const r = useResource(
    () => api<{ keypairs: Array<{ keypair: Keypair }> }>('GET', `${base('compute')}/os-keypairs`),
    [session.project.id],
  );
  const [error, setError] = useState<string | null>(null);
  const [f, setF] = useState({ name: '', publicKey: '' });
  const [problems, setProblems] = useState<Problems>({});
  const [privateKey, setPrivateKey] = useState<{ name: string; key: string } | null>(null);
  const create = (e: Event) => {
    e.preventDefault();
    const p = validateKeypair(f);
    setProblems(p);
    if (Object.keys(p).length > 0) return;
    setError(null);
    const keypair: Record<string, string> = { name: f.name.trim() };
    if (f.publicKey.trim()) keypair.public_key = f.publicKey.trim();
    api<{ keypair: { name: string; private_key?: string } }>('POST', `${base('compute')}/os-keypairs`, {
      keypair,
    }).then(
      (k) => {
        if (k.keypair.private_key) setPrivateKey({ name: k.keypair.name, key: k.keypair.private_key });
        setF({ name: '', publicKey: '' });
        r.reload();
      },
      (err: unknown) => setError(messageOf(err)),
    );
  };
  const remove = (k: Keypair) => {
    if (!confirm(`Delete key pair ${k.name}?`)) return;
    api('DELETE', `${base('compute')}/os-keypairs/${encodeURIComponent(k.name)}`).then(r.reload, (e: unknown) =>
      setError(messageOf(e)),
    );
  };
  return html`<section>
    <${Header} title="Key pairs" />
    <${ErrorBox} error=${error ?? r.error} onClose=${() => setError(null)} />
    <form class="panel" onSubmit=${create} novalidate aria-label="Create or import key pair">
      <div class="grid">
        <${Field} label="Key pair name" name="name" problems=${problems}>
          <input id="f-name" value=${f.name} onInput=${(e: Event) => setF({ ...f, name: value(e) })} />
        <//>
        <${Field} label="Public key to import (empty: generate a new key pair)" name="publicKey" problems=${problems}>
          <textarea id="f-publicKey" rows="2" value=${f.publicKey} onInput=${(e: Event) => setF({ ...f, publicKey: value(e) })}></textarea>
        <//>
      </div>
      <button type="submit" class="primary">${f.publicKey.trim() ? 'Import key pair' : 'Create key pair'}</button>
    </form>
    ${
      privateKey
        ? html`<section class="panel" aria-label="New private key">
      <p>The private key of <strong>${privateKey.name}</strong>, shown only once: save it now.</p>
      <pre class="console" tabindex="0">${privateKey.key}</pre>
      <button type="button" onClick=${() => setPrivateKey(null)}>I saved it</button></section>`
        : null
    }
    <${Table}
      label="Key pairs"
      rows=${r.data?.keypairs.map((k) => k.keypair)}
      rowKey=${(k: Keypair) => k.name}
      empty="No key pairs."
      columns=${[
        { label: 'Name', cell: (k: Keypair) => k.name },
        { label: 'Type', cell: (k: Keypair) => k.type ?? 'ssh' },
        { label: 'Fingerprint', cell: (k: Keypair) => html`<code>${k.fingerprint}</code>` },
        {
          label: 'Actions',
          cell: (k: Keypair) => html`<button type="button" class="danger" onClick=${() => remove(k)}>Delete</button>`,
        },
      ]}
    />
  </section>` as VNode;
}
