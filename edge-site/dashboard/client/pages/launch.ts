/** The launch-instance form: name, image, flavor, network, key pair, user data, count. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base } from '../api.ts';
import { megabytes } from '../format.ts';
import { ErrorBox, Field, html, messageOf, useResource, value } from '../ui.ts';
import { type Problems, validateLaunch } from '../validate.ts';

interface Choices {
  images: Array<{ id: string; name: string; status: string }>;
  flavors: Array<{ id: string; name: string; vcpus: number; ram: number; disk: number }>;
  networks: Array<{ id: string; name: string }>;
  keypairs: Array<{ keypair: { name: string } }>;
}

async function choices(): Promise<Choices> {
  const [images, flavors, networks, keypairs] = await Promise.all([
    api<{ images: Choices['images'] }>('GET', `${base('image')}/images`),
    api<{ flavors: Choices['flavors'] }>('GET', `${base('compute')}/flavors/detail`),
    api<{ networks: Choices['networks'] }>('GET', `${base('network')}/networks`),
    api<{ keypairs: Choices['keypairs'] }>('GET', `${base('compute')}/os-keypairs`),
  ]);
  return {
    images: images.images.filter((i) => i.status === 'active'),
    flavors: flavors.flavors,
    networks: networks.networks,
    keypairs: keypairs.keypairs,
  };
}

function base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The form; `onDone` once Nova accepted the request. */
export function LaunchForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }): VNode {
  const c = useResource(choices);
  const [f, setF] = useState({ name: '', image: '', flavor: '', network: '', keyName: '', userData: '', count: '1' });
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: value(e) });
  const submit = (e: Event) => {
    e.preventDefault();
    const p = validateLaunch(f);
    setProblems(p);
    if (Object.keys(p).length > 0) return;
    const count = Number(f.count);
    const server: Record<string, unknown> = {
      name: f.name.trim(),
      imageRef: f.image,
      flavorRef: f.flavor,
      networks: f.network ? [{ uuid: f.network }] : 'none',
      min_count: count,
      max_count: count,
    };
    if (f.keyName) server.key_name = f.keyName;
    if (f.userData) server.user_data = base64(f.userData);
    setBusy(true);
    setError(null);
    api('POST', `${base('compute')}/servers`, { server }, { 'OpenStack-API-Version': 'compute 2.37' }).then(
      onDone,
      (err: unknown) => {
        setBusy(false);
        setError(messageOf(err));
      },
    );
  };
  const d = c.data;
  return html`<form class="panel" onSubmit=${submit} novalidate aria-labelledby="launch-title">
    <h2 id="launch-title">Launch instance</h2>
    <${ErrorBox} error=${error ?? c.error} />
    <div class="grid">
      <${Field} label="Instance name" name="name" problems=${problems}>
        <input id="f-name" value=${f.name} onInput=${set('name')} autofocus />
      <//>
      <${Field} label="Count" name="count" problems=${problems}>
        <input id="f-count" type="number" min="1" max="100" value=${f.count} onInput=${set('count')} />
      <//>
      <${Field} label="Image" name="image" problems=${problems}>
        <select id="f-image" value=${f.image} onChange=${set('image')}>
          <option value="">Choose an image</option>
          ${d?.images.map((i) => html`<option value=${i.id}>${i.name}</option>`)}
        </select>
      <//>
      <${Field} label="Flavor" name="flavor" problems=${problems}>
        <select id="f-flavor" value=${f.flavor} onChange=${set('flavor')}>
          <option value="">Choose a flavor</option>
          ${d?.flavors.map((x) => html`<option value=${x.id}>${x.name} (${x.vcpus} vCPU, ${megabytes(x.ram)}, ${x.disk} GB)</option>`)}
        </select>
      <//>
      <${Field} label="Network" name="network" problems=${problems}>
        <select id="f-network" value=${f.network} onChange=${set('network')}>
          <option value="">No network</option>
          ${d?.networks.map((n) => html`<option value=${n.id}>${n.name || n.id}</option>`)}
        </select>
      <//>
      <${Field} label="Key pair" name="keyName" problems=${problems}>
        <select id="f-keyName" value=${f.keyName} onChange=${set('keyName')}>
          <option value="">No key pair</option>
          ${d?.keypairs.map((k) => html`<option value=${k.keypair.name}>${k.keypair.name}</option>`)}
        </select>
      <//>
    </div>
    <${Field} label="User data (cloud-init)" name="userData" problems=${problems}>
      <textarea id="f-userData" rows="4" value=${f.userData} onInput=${set('userData')}></textarea>
    <//>
    <div class="form-actions">
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Launching…' : 'Launch'}</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>` as VNode;
}
