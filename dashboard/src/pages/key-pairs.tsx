/** Key pairs: create (the private key is downloaded once, never kept) and import. */
import { useState, type FormEvent } from 'react';
import { call, NOVA_MICROVERSION } from '../api/client';
import { listKeyPairs } from '../api/resources';
import { ErrorNote, Field, FormActions, PageHeader, Table } from '../components/ui';
import { useAction, useLoad } from '../hooks';

function download(name: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  a.download = `${name}.pem`;
  a.click();
  URL.revokeObjectURL(a.href);
}

export function KeyPairsPage() {
  const keys = useLoad(listKeyPairs, []);
  const [mode, setMode] = useState<'create' | 'import'>();
  const del = useAction();
  return (
    <>
      <PageHeader title="Key Pairs">
        <button className="primary" onClick={() => setMode('create')}>
          Create Key Pair
        </button>
        <button onClick={() => setMode('import')}>Import Public Key</button>
      </PageHeader>
      {mode ? <KeyForm mode={mode} onClose={() => setMode(undefined)} onDone={keys.reload} /> : null}
      <ErrorNote error={keys.error ?? del.error} />
      <Table
        rows={keys.data}
        rowKey={(k) => k.name}
        empty="No key pairs."
        columns={[
          { title: 'Name', cell: (k) => k.name },
          { title: 'Type', cell: (k) => k.type ?? 'ssh' },
          { title: 'Fingerprint', cell: (k) => <code>{k.fingerprint}</code> },
          {
            title: 'Actions',
            cell: (k) => (
              <button
                className="danger"
                onClick={() => {
                  if (confirm(`Delete key pair ${k.name}?`))
                    void del
                      .run(() => call('compute', `/os-keypairs/${encodeURIComponent(k.name)}`, { method: 'DELETE' }))
                      .then(keys.reload);
                }}
              >
                Delete
              </button>
            ),
          },
        ]}
      />
    </>
  );
}

function KeyForm({ mode, onClose, onDone }: { mode: 'create' | 'import'; onClose: () => void; onDone: () => void }) {
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const act = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act
      .run(async () => {
        const keypair: Record<string, string> = { name };
        if (mode === 'import') keypair.public_key = publicKey.trim();
        // Nova generates keys only before 2.92; the page asks for 2.79 (see client.ts).
        const r = await call<{ keypair: { private_key?: string } }>('compute', '/os-keypairs', { body: { keypair } });
        if (r.keypair.private_key) download(name, r.keypair.private_key);
      })
      .then((ok) => {
        if (!ok) return;
        onDone();
        onClose();
      });
  };
  return (
    <form className="panel" onSubmit={submit} aria-label={mode === 'create' ? 'Create key pair' : 'Import public key'}>
      <h2>{mode === 'create' ? 'Create Key Pair' : 'Import Public Key'}</h2>
      <Field label="Key pair name">
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} required />
      </Field>
      {mode === 'import' ? (
        <Field label="Public key" hint="The contents of id_ed25519.pub or id_rsa.pub">
          <textarea name="public_key" rows={4} value={publicKey} onChange={(e) => setPublicKey(e.target.value)} required />
        </Field>
      ) : (
        <p className="muted">The private key is downloaded once now (compute {NOVA_MICROVERSION}); the cloud keeps only the public key.</p>
      )}
      <ErrorNote error={act.error} />
      <FormActions onCancel={onClose} disabled={act.busy}>
        {mode === 'create' ? 'Create' : 'Import'}
      </FormActions>
    </form>
  );
}
