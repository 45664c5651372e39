/** Images: list, upload with progress (create the record, then PUT its bytes by XHR), delete. */
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, base, uploadImageFile } from '../api.ts';
import { bytes } from '../format.ts';
import type { Session } from '../session.ts';
import { ErrorBox, Field, Header, html, messageOf, Table, useResource, value } from '../ui.ts';
import { type Problems, validateImage } from '../validate.ts';

interface Image {
  id: string;
  name: string;
  status: string;
  size: number | null;
  disk_format: string | null;
  visibility: string;
}

/** The images page. */
export function ImagesPage({ session }: { session: Session }): VNode {
  const r = useResource(() => api<{ images: Image[] }>('GET', `${base('image')}/images`), [session.project.id], 5000);
  const [error, setError] = useState<string | null>(null);
  const [uploading, setUploading] = useState(false);
  const remove = (i: Image) => {
    if (!confirm(`Delete image ${i.name}?`)) return;
    api('DELETE', `${base('image')}/images/${i.id}`).then(r.reload, (e: unknown) => setError(messageOf(e)));
  };
  return html`<section>
    <${Header} title="Images">
      <button type="button" class="primary" onClick=${() => setUploading(true)}>Upload image</button>
    <//>
    <${ErrorBox} error=${error ?? r.error} onClose=${() => setError(null)} />
    ${uploading ? html`<${UploadForm} onDone=${r.reload} onClose=${() => setUploading(false)} />` : null}
    <${Table}
      label="Images"
      rows=${r.data?.images}
      rowKey=${(i: Image) => i.id}
      empty="No images."
      columns=${[
        { label: 'Name', cell: (i: Image) => i.name },
        { label: 'Status', cell: (i: Image) => html`<span class=${`status s-${i.status}`}>${i.status}</span>` },
        { label: 'Format', cell: (i: Image) => i.disk_format ?? '—' },
        { label: 'Size', cell: (i: Image) => bytes(i.size) },
        { label: 'Visibility', cell: (i: Image) => i.visibility },
        {
          label: 'Actions',
          cell: (i: Image) => html`<button type="button" class="danger" onClick=${() => remove(i)}>Delete</button>`,
        },
      ]}
    />
  </section>` as VNode;
}

function UploadForm({ onDone, onClose }: { onDone: () => void; onClose: () => void }): VNode {
  const [name, setName] = useState('');
  const [format, setFormat] = useState('raw');
  const [file, setFile] = useState<File | null>(null);
  const [problems, setProblems] = useState<Problems>({});
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const p = validateImage({ name, file });
    setProblems(p);
    if (Object.keys(p).length > 0 || !file) return;
    setError(null);
    setProgress(0);
    api<{ id: string }>('POST', `${base('image')}/images`, {
      name: name.trim(),
      disk_format: format,
      container_format: 'bare',
    })
      .then((img) => {
        onDone();
        return uploadImageFile(img.id, file, setProgress);
      })
      .then(onDone, (err: unknown) => {
        setError(messageOf(err));
        setProgress(null);
      });
  };
  const pct = progress === null ? null : Math.round(progress * 100);
  return html`<form class="panel" onSubmit=${submit} novalidate aria-labelledby="upload-title">
    <h2 id="upload-title">Upload image</h2>
    <${ErrorBox} error=${error} />
    <div class="grid">
      <${Field} label="Image name" name="name" problems=${problems}>
        <input id="f-name" value=${name} onInput=${(e: Event) => setName(value(e))} autofocus />
      <//>
      <${Field} label="Disk format" name="format" problems=${problems}>
        <select id="f-format" value=${format} onChange=${(e: Event) => setFormat(value(e))}>
          ${['raw', 'qcow2', 'iso', 'vmdk', 'vdi', 'ami'].map((x) => html`<option value=${x}>${x}</option>`)}
        </select>
      <//>
      <${Field} label="File" name="file" problems=${problems}>
        <input id="f-file" type="file" onChange=${(e: Event) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
      <//>
    </div>
    ${
      pct === null
        ? null
        : html`<div class="progress">
      <progress id="upload-progress" max="100" value=${pct} aria-label="Upload progress">${pct}%</progress>
      <span id="upload-percent" role="status">${pct === 100 ? 'Uploaded 100%' : `${pct}%`}</span></div>`
    }
    <div class="form-actions">
      <button type="submit" class="primary" disabled=${pct !== null && pct < 100}>Upload</button>
      <button type="button" onClick=${onClose}>Close</button>
    </div>
  </form>` as VNode;
}
