/** Images: the list, upload from the browser with a progress bar, visibility, delete. */
import { useState, type FormEvent } from 'react';
import { call, upload } from '../api/client';
import { listImages, type Image } from '../api/resources';
import { currentSession } from '../api/session-store';
import { ErrorNote, Field, FormActions, PageHeader, Progress, Status, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';

const FORMATS = ['qcow2', 'raw', 'iso', 'vmdk', 'vdi', 'vhd', 'ami', 'aki', 'ari'];

export function ImagesPage() {
  const images = useLoad(listImages, [], 10_000);
  const [creating, setCreating] = useState(false);
  const me = currentSession()?.project.id;
  return (
    <>
      <PageHeader title="Images">
        <button className="primary" onClick={() => setCreating(true)}>
          Create Image
        </button>
      </PageHeader>
      {creating ? <UploadForm onClose={() => setCreating(false)} onDone={images.reload} /> : null}
      <ErrorNote error={images.error} />
      <Table
        rows={images.data}
        rowKey={(i) => i.id}
        empty="No images."
        columns={[
          { title: 'Name', cell: (i) => i.name || i.id },
          { title: 'Status', cell: (i) => <Status value={i.status} /> },
          { title: 'Visibility', cell: (i) => i.visibility },
          { title: 'Format', cell: (i) => i.disk_format ?? '' },
          { title: 'Size', cell: (i) => (i.size === null ? '' : `${(i.size / 1048576).toFixed(1)} MiB`) },
          { title: 'Actions', cell: (i) => (i.owner === me ? <DeleteImage image={i} onDone={images.reload} /> : null) },
        ]}
      />
    </>
  );
}

function DeleteImage({ image, onDone }: { image: Image; onDone: () => void }) {
  const act = useAction();
  return (
    <>
      <button
        className="danger"
        disabled={act.busy}
        onClick={() => {
          if (confirm(`Delete image ${image.name}?`))
            void act.run(() => call('image', `/v2/images/${image.id}`, { method: 'DELETE' })).then(onDone);
        }}
      >
        Delete
      </button>
      <ErrorNote error={act.error} />
    </>
  );
}

function UploadForm({ onClose, onDone }: { onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [format, setFormat] = useState('qcow2');
  const [visibility, setVisibility] = useState('private');
  const [file, setFile] = useState<File>();
  const [progress, setProgress] = useState<number>();
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    void act
      .run(async () => {
        const image = await call<Image>('image', '/v2/images', {
          body: { name, disk_format: format, container_format: 'bare', visibility },
        });
        setProgress(0);
        try {
          await upload('image', `/v2/images/${image.id}/file`, file, setProgress);
        } catch (err) {
          // An image without data is of no use: it goes, and the upload's error is what the user sees.
          await call('image', `/v2/images/${image.id}`, { method: 'DELETE' }).catch(() => undefined);
          throw err;
        }
      })
      .then((ok) => {
        onDone();
        if (ok) onClose();
      });
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="Create image">
      <h2>Create Image</h2>
      <div className="grid">
        <Field label="Image name">
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field label="File">
          <input
            name="file"
            type="file"
            required
            onChange={(e) => {
              const f = e.target.files?.[0];
              setFile(f);
              if (f && !name) setName(f.name.replace(/\.[^.]+$/, ''));
              const ext = f?.name.split('.').pop()?.toLowerCase();
              if (ext && FORMATS.includes(ext)) setFormat(ext);
              else if (ext === 'img') setFormat('raw');
            }}
          />
        </Field>
        <Field label="Format">
          <select name="format" value={format} onChange={(e) => setFormat(e.target.value)}>
            {FORMATS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </Field>
        <Field label="Visibility">
          <select name="visibility" value={visibility} onChange={(e) => setVisibility(e.target.value)}>
            <option>private</option>
            <option>shared</option>
            <option>community</option>
            <option>public</option>
          </select>
        </Field>
      </div>
      {progress !== undefined ? <Progress fraction={progress} label="Upload" /> : null}
      <ErrorNote error={act.error} />
      <FormActions onCancel={onClose} disabled={act.busy}>
        {act.busy ? 'Uploading…' : 'Create Image'}
      </FormActions>
    </form>
  );
}
