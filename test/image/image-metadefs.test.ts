import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import type { HarnessResponse } from '../support/identity-harness.js';
import { startImage, type ImageHarness, type TestProject } from '../support/image-harness.js';

const NS = '/v2/metadefs/namespaces';
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Glance's api-ref sample `metadef-namespace-create-request.json`. */
const SAMPLE_NAMESPACE = {
  description: 'Choose capabilities that should be provided by the Compute Host.',
  display_name: 'Hypervisor Selection',
  namespace: 'OS::Compute::Hypervisor',
  properties: {
    hypervisor_type: {
      description: 'The hypervisor type.',
      enum: ['xen', 'qemu', 'kvm', 'lxc', 'uml', 'vmware', 'hyperv'],
      title: 'Hypervisor Type',
      type: 'string',
    },
    vm_mode: { description: 'The virtual machine mode.', enum: ['hvm', 'xen', 'uml', 'exe'], title: 'VM Mode', type: 'string' },
  },
  protected: true,
  resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'hw_' }],
  visibility: 'public',
};

/** Glance's api-ref sample `metadef-object-create-request.json`, abridged. */
const SAMPLE_OBJECT = {
  description: 'You can configure the CPU limits with control parameters.',
  name: 'CPU Limits',
  properties: {
    'quota:cpu_period': { maximum: 1000000, minimum: 1000, title: 'Quota: CPU Period', type: 'integer' },
    'quota:cpu_shares': { title: 'Quota: CPU Shares', type: 'integer' },
  },
  required: [],
};

function assertFault(r: HarnessResponse, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  assert.equal(r.body?.code, status, `${what} fault body: ${r.text}`);
  assert.equal(typeof r.body?.message, 'string', what);
}

describe('image metadefs API', () => {
  let h: ImageHarness;
  let alice: TestProject;
  let bob: TestProject;
  before(async () => {
    h = await startImage();
    alice = await h.project('alice');
    bob = await h.project('bob');
  });
  after(() => h.close());

  const create = (body: Record<string, unknown>, token?: string) => h.request('POST', NS, { body, token });
  let counter = 0;
  /** A fresh public namespace created by the admin. */
  const fresh = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const name = `ns-${++counter}`;
    const r = await create({ namespace: name, visibility: 'public', ...extra });
    assert.equal(r.status, 201, r.text);
    return name;
  };

  it('serves every metadef schema document, under the name Tempest expects', async () => {
    const names: Record<string, string> = {
      namespace: 'namespace',
      namespaces: 'namespaces',
      resource_type: 'resource_type_association',
      resource_types: 'resource_type_associations',
      object: 'object',
      objects: 'objects',
      property: 'property',
      properties: 'properties',
      tag: 'tag',
      tags: 'tags',
    };
    for (const [path, name] of Object.entries(names)) {
      const r = await h.request('GET', `/v2/schemas/metadefs/${path}`, { token: alice.token });
      assert.equal(r.status, 200, path);
      assert.equal(r.body.name, name, path);
    }
    // The served namespace schema accepts Glance's own sample and rejects a stranger.
    const schema = (await h.request('GET', '/v2/schemas/metadefs/namespace')).body;
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(schema);
    assert.ok(validate(SAMPLE_NAMESPACE), JSON.stringify(validate.errors));
    assert.ok(!validate({ ...SAMPLE_NAMESPACE, visibility: 'shared' }));
    assert.ok(!validate({ display_name: 'no namespace' }));
  });

  it('lists the seeded resource types to any reader', async () => {
    const r = await h.request('GET', '/v2/metadefs/resource_types', { token: alice.token });
    assert.equal(r.status, 200);
    const names = r.body.resource_types.map((t: { name: string }) => t.name);
    for (const n of ['OS::Glance::Image', 'OS::Cinder::Volume', 'OS::Nova::Flavor', 'OS::Nova::Aggregate', 'OS::Nova::Server']) {
      assert.ok(names.includes(n), n);
    }
    assert.match(r.body.resource_types[0].created_at, TIME);
    assert.deepEqual(Object.keys(r.body.resource_types[0]).sort(), ['created_at', 'name', 'updated_at']);
  });

  it('creates, shows, lists, updates and deletes a namespace', async () => {
    const c = await create(SAMPLE_NAMESPACE);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.headers.get('location'), `${NS}/OS::Compute::Hypervisor`);
    const ns = c.body;
    assert.equal(ns.namespace, 'OS::Compute::Hypervisor');
    assert.equal(ns.display_name, 'Hypervisor Selection');
    assert.equal(ns.visibility, 'public');
    assert.equal(ns.protected, true);
    assert.equal(ns.owner, h.adminProjectId);
    assert.equal(ns.self, `${NS}/OS::Compute::Hypervisor`);
    assert.equal(ns.schema, '/v2/schemas/metadefs/namespace');
    assert.match(ns.created_at, TIME);
    assert.match(ns.updated_at, TIME);
    assert.deepEqual(ns.properties, SAMPLE_NAMESPACE.properties);
    assert.deepEqual(
      ns.resource_type_associations.map((a: Record<string, unknown>) => [a.name, a.prefix]),
      [['OS::Glance::Image', 'hw_']],
    );

    const show = await h.request('GET', `${NS}/OS::Compute::Hypervisor`, { token: bob.token });
    assert.equal(show.status, 200);
    assert.deepEqual(show.body, ns);
    const prefixed = await h.request('GET', `${NS}/OS::Compute::Hypervisor?resource_type=OS::Glance::Image`);
    assert.deepEqual(Object.keys(prefixed.body.properties).sort(), ['hw_hypervisor_type', 'hw_vm_mode']);

    const list = await h.request('GET', NS, { token: bob.token });
    assert.equal(list.status, 200);
    assert.equal(list.body.first, NS);
    assert.equal(list.body.schema, '/v2/schemas/metadefs/namespaces');
    const listed = list.body.namespaces.find((n: { namespace: string }) => n.namespace === 'OS::Compute::Hypervisor');
    assert.ok(listed, 'listed');
    assert.equal(listed.properties, undefined, 'lists carry no contents');
    assert.equal(listed.resource_type_associations[0].name, 'OS::Glance::Image');

    assertFault(await h.request('DELETE', `${NS}/OS::Compute::Hypervisor`), 403, 'delete protected');
    const up = await h.request('PUT', `${NS}/OS::Compute::Hypervisor`, {
      body: { namespace: 'OS::Compute::Hypervisor2', visibility: 'public', protected: false, description: 'd' },
    });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.namespace, 'OS::Compute::Hypervisor2');
    assert.equal(up.body.protected, false);
    assert.equal(up.body.display_name, undefined, 'PUT replaces: display_name was not given');
    assertFault(await h.request('GET', `${NS}/OS::Compute::Hypervisor`), 404, 'old name');
    const moved = await h.request('GET', `${NS}/OS::Compute::Hypervisor2`);
    assert.deepEqual(moved.body.properties, SAMPLE_NAMESPACE.properties, 'contents follow the rename');

    const del = await h.request('DELETE', `${NS}/OS::Compute::Hypervisor2`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    assertFault(await h.request('GET', `${NS}/OS::Compute::Hypervisor2`), 404, 'deleted');
    assertFault(await h.request('DELETE', `${NS}/OS::Compute::Hypervisor2`), 404, 'deleted twice');
  });

  it('pages namespace lists with first and next links', async () => {
    for (let i = 0; i < 3; i++) await fresh();
    const p1 = await h.request('GET', `${NS}?limit=2&sort_key=namespace&sort_dir=asc`);
    assert.equal(p1.status, 200);
    assert.equal(p1.body.namespaces.length, 2);
    assert.equal(p1.body.first, `${NS}?limit=2&sort_key=namespace&sort_dir=asc`);
    const last = p1.body.namespaces[1].namespace;
    assert.equal(p1.body.next, `${NS}?limit=2&sort_key=namespace&sort_dir=asc&marker=${encodeURIComponent(last)}`);
    const p2 = await h.request('GET', p1.body.next);
    assert.equal(p2.status, 200);
    assert.ok(p2.body.namespaces.every((n: { namespace: string }) => n.namespace > last));
    assertFault(await h.request('GET', `${NS}?marker=no-such-namespace`), 404, 'unknown marker');
    const filtered = await h.request('GET', `${NS}?resource_types=OS::Nova::Aggregate`);
    assert.deepEqual(filtered.body.namespaces, []);
  });

  it('keeps a private namespace invisible to other projects', async () => {
    const c = await create({ namespace: 'alice-only', owner: alice.projectId, tags: [{ name: 't' }] });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.visibility, 'private');
    assert.equal((await h.request('GET', `${NS}/alice-only`, { token: alice.token })).status, 200);
    const mine = await h.request('GET', NS, { token: alice.token });
    assert.ok(mine.body.namespaces.some((n: { namespace: string }) => n.namespace === 'alice-only'));
    const theirs = await h.request('GET', NS, { token: bob.token });
    assert.ok(!theirs.body.namespaces.some((n: { namespace: string }) => n.namespace === 'alice-only'));
    for (const path of ['', '/objects', '/properties', '/tags', '/tags/t', '/resource_types']) {
      assertFault(await h.request('GET', `${NS}/alice-only${path}`, { token: bob.token }), 404, `bob GET ${path}`);
    }
    // Writing to a namespace one cannot see is a 404 too, not a 403 that would confirm it exists.
    assertFault(await h.request('POST', `${NS}/alice-only/objects`, { token: bob.token, body: { name: 'x' } }), 404, 'bob writes');
    assertFault(await h.request('DELETE', `${NS}/alice-only`, { token: bob.token }), 404, 'bob deletes');
  });

  it('lets only admins write (403 for a member), while members read public namespaces', async () => {
    const name = await fresh({ tags: [{ name: 't' }], objects: [{ name: 'o' }] });
    const t = alice.token;
    assertFault(await create({ namespace: 'by-member' }, t), 403, 'create namespace');
    assertFault(await h.request('PUT', `${NS}/${name}`, { token: t, body: { namespace: name } }), 403, 'update namespace');
    assertFault(await h.request('DELETE', `${NS}/${name}`, { token: t }), 403, 'delete namespace');
    assertFault(await h.request('POST', `${NS}/${name}/objects`, { token: t, body: { name: 'x' } }), 403, 'create object');
    assertFault(await h.request('DELETE', `${NS}/${name}/objects/o`, { token: t }), 403, 'delete object');
    assertFault(
      await h.request('POST', `${NS}/${name}/properties`, { token: t, body: { name: 'p', title: 'P', type: 'string' } }),
      403,
      'create property',
    );
    assertFault(await h.request('POST', `${NS}/${name}/tags/x`, { token: t }), 403, 'create tag');
    assertFault(await h.request('DELETE', `${NS}/${name}/tags/t`, { token: t }), 403, 'delete tag');
    assertFault(await h.request('DELETE', `${NS}/${name}/tags`, { token: t }), 403, 'delete tags');
    assertFault(
      await h.request('POST', `${NS}/${name}/resource_types`, { token: t, body: { name: 'OS::Nova::Flavor' } }),
      403,
      'associate',
    );
    assert.equal((await h.request('GET', `${NS}/${name}`, { token: t })).status, 200);
    assert.equal((await h.request('GET', `${NS}/${name}/objects/o`, { token: t })).status, 200);
    assert.equal((await h.request('GET', `${NS}/${name}/tags/t`, { token: t })).status, 200);
    assertFault(await h.request('GET', NS, { token: null }), 401, 'no token');
  });

  it('manages objects', async () => {
    const name = await fresh();
    const base = `${NS}/${name}/objects`;
    const c = await h.request('POST', base, { body: SAMPLE_OBJECT });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.name, 'CPU Limits');
    assert.deepEqual(c.body.properties, SAMPLE_OBJECT.properties);
    assert.deepEqual(c.body.required, []);
    assert.equal(c.body.self, `${base}/CPU Limits`);
    assert.equal(c.body.schema, '/v2/schemas/metadefs/object');
    assert.match(c.body.created_at, TIME);
    assertFault(await h.request('POST', base, { body: SAMPLE_OBJECT }), 409, 'duplicate object');

    const list = await h.request('GET', base);
    assert.equal(list.status, 200);
    assert.equal(list.body.schema, 'v2/schemas/metadefs/objects');
    assert.deepEqual(list.body.objects, [c.body]);
    assert.deepEqual((await h.request('GET', `${base}/CPU%20Limits`)).body, c.body);

    const up = await h.request('PUT', `${base}/CPU%20Limits`, { body: { name: 'renamed', description: 'new' } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.name, 'renamed');
    assert.equal(up.body.properties, undefined, 'PUT replaces the object whole');
    assertFault(await h.request('GET', `${base}/CPU%20Limits`), 404, 'old object name');
    assert.equal((await h.request('DELETE', `${base}/renamed`)).status, 204);
    assertFault(await h.request('DELETE', `${base}/renamed`), 404, 'deleted object');
    assertFault(await h.request('GET', `${NS}/no-such/objects`), 404, 'objects of a missing namespace');

    await h.request('POST', base, { body: { name: 'a' } });
    assert.equal((await h.request('DELETE', base)).status, 204);
    assert.deepEqual((await h.request('GET', base)).body.objects, []);
  });

  it('manages properties as Tempest does, with names taken from resource types', async () => {
    const name = await fresh();
    const rt = 'OS::Glance::Image';
    const a = await h.request('POST', `${NS}/${name}/resource_types`, { body: { name: rt, prefix: 'img_' } });
    assert.equal(a.status, 201, a.text);
    const base = `${NS}/${name}/properties`;
    const enumValues = ['xen', 'qemu', 'kvm'];
    const c = await h.request('POST', base, { body: { name: rt, title: 'T1', type: 'string', enum: enumValues } });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual(c.body, { name: rt, title: 'T1', type: 'string', enum: enumValues });
    assertFault(await h.request('POST', base, { body: { name: rt, title: 'T', type: 'string' } }), 409, 'duplicate property');
    assert.deepEqual((await h.request('GET', `${base}/${rt}`)).body, c.body);
    const viaPrefix = await h.request('GET', `${base}/img_${rt}?resource_type=${rt}`);
    assert.equal(viaPrefix.status, 200, viaPrefix.text);
    assert.equal(viaPrefix.body.name, `img_${rt}`);
    assertFault(await h.request('GET', `${base}/${rt}?resource_type=${rt}`), 404, 'name without the prefix');

    const up = await h.request('PUT', `${base}/${rt}`, { body: { name: rt, title: 'T2', type: 'string', enum: enumValues } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.title, 'T2');
    assert.deepEqual((await h.request('GET', base)).body, { properties: { [rt]: { title: 'T2', type: 'string', enum: enumValues } } });
    assert.equal((await h.request('DELETE', `${base}/${rt}`)).status, 204);
    assertFault(await h.request('GET', `${base}/${rt}`), 404, 'deleted property');
    assert.deepEqual((await h.request('GET', base)).body, { properties: {} });
  });

  it('manages tags as Tempest does', async () => {
    const name = await fresh();
    const base = `${NS}/${name}/tags`;
    const tags = [{ name: 'sample-tag1' }, { name: 'sample-tag2' }, { name: 'sample-tag3' }];
    const c = await h.request('POST', base, { body: { tags } });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual(c.body, { tags });
    const list = await h.request('GET', base);
    assert.deepEqual(
      list.body.tags.map((t: { name: string }) => t.name).sort(),
      tags.map((t) => t.name),
    );

    // Tempest posts a single tag with a JSON content type and no body.
    const one = await h.request('POST', `${base}/tag_name`, { headers: { 'content-type': 'application/json' } });
    assert.equal(one.status, 201, one.text);
    assert.equal(one.body.name, 'tag_name');
    assert.match(one.body.created_at, TIME);
    assertFault(await h.request('POST', `${base}/tag_name`), 409, 'duplicate tag');
    assertFault(await h.request('POST', `${base}/${'x'.repeat(81)}`), 400, 'tag name too long');
    assert.equal((await h.request('GET', `${base}/tag_name`)).body.name, 'tag_name');
    const up = await h.request('PUT', `${base}/tag_name`, { body: { name: 'renamed' } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.name, 'renamed');
    assertFault(await h.request('PUT', `${base}/renamed`, { body: { name: 'sample-tag1' } }), 409, 'rename onto an existing tag');
    assert.equal((await h.request('DELETE', `${base}/renamed`)).status, 204);
    assertFault(await h.request('GET', `${base}/renamed`), 404, 'deleted tag');

    // Without X-Openstack-Append a POST replaces every tag; with it, adds.
    await h.request('POST', base, { body: { tags: [{ name: 'only' }] } });
    assert.deepEqual((await h.request('GET', base)).body.tags, [{ name: 'only' }]);
    await h.request('POST', base, { body: { tags: [{ name: 'more' }] }, headers: { 'x-openstack-append': 'True' } });
    assert.deepEqual((await h.request('GET', `${base}?sort_key=name&sort_dir=asc`)).body.tags, [{ name: 'more' }, { name: 'only' }]);
    assertFault(await h.request('POST', base, { body: { tags: [{ name: 'a' }, { name: 'a' }] } }), 409, 'tag twice in one request');
    assert.equal((await h.request('DELETE', base)).status, 204);
    assert.deepEqual((await h.request('GET', base)).body.tags, []);
  });

  it('associates and dissociates resource types', async () => {
    const name = await fresh();
    const base = `${NS}/${name}/resource_types`;
    const c = await h.request('POST', base, { body: { name: 'OS::Cinder::Volume', prefix: 'hw_', properties_target: 'image' } });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.name, 'OS::Cinder::Volume');
    assert.equal(c.body.prefix, 'hw_');
    assert.equal(c.body.properties_target, 'image');
    assert.match(c.body.created_at, TIME);
    assertFault(await h.request('POST', base, { body: { name: 'OS::Cinder::Volume' } }), 409, 'duplicate association');
    assert.deepEqual((await h.request('GET', base)).body, { resource_type_associations: [c.body] });
    const filtered = await h.request('GET', `${NS}?resource_types=OS::Cinder::Volume,OS::Nova::Aggregate`);
    assert.deepEqual(
      filtered.body.namespaces.map((n: { namespace: string }) => n.namespace),
      [name],
    );
    assert.equal((await h.request('DELETE', `${base}/OS::Cinder::Volume`)).status, 204);
    assertFault(await h.request('DELETE', `${base}/OS::Cinder::Volume`), 404, 'dissociated twice');
    assert.deepEqual((await h.request('GET', base)).body, { resource_type_associations: [] });
    // A new resource type comes into being with its first association.
    assert.equal((await h.request('POST', base, { body: { name: 'OS::Kumo::Thing' } })).status, 201);
    const types = (await h.request('GET', '/v2/metadefs/resource_types')).body.resource_types;
    assert.ok(types.some((t: { name: string }) => t.name === 'OS::Kumo::Thing'));
  });

  it('rejects duplicates, bad input and read-only attributes', async () => {
    const name = await fresh({ objects: [{ name: 'o' }], properties: { p: { title: 'P', type: 'string' } } });
    assertFault(await create({ namespace: name }), 409, 'duplicate namespace');
    const other = await fresh();
    assertFault(await h.request('PUT', `${NS}/${other}`, { body: { namespace: name } }), 409, 'rename onto an existing namespace');
    const bad: [string, string, unknown][] = [
      ['POST', NS, { display_name: 'no namespace' }],
      ['POST', NS, { namespace: 'x', unknown: 1 }],
      ['POST', NS, { namespace: 'x', visibility: 'shared' }],
      ['POST', NS, { namespace: 'x'.repeat(81) }],
      ['POST', NS, { namespace: '' }],
      ['POST', NS, { namespace: 'x', protected: 'yes' }],
      ['POST', NS, { namespace: 'x', properties: { p: { title: 'P', type: 'complex' } } }],
      ['POST', NS, { namespace: 'x', properties: { p: { type: 'string' } } }],
      ['POST', NS, { namespace: 'x', objects: [{ description: 'no name' }] }],
      ['POST', NS, { namespace: 'x', resource_type_associations: [{ prefix: 'no name' }] }],
      ['POST', NS, { namespace: 'x', tags: ['not-an-object'] }],
      ['PUT', `${NS}/${name}`, { description: 'no namespace' }],
      ['POST', `${NS}/${name}/objects`, { name: 'x', required: 'p' }],
      ['POST', `${NS}/${name}/objects`, { name: 'x', properties: { p: { title: 'P', type: 'string', bogus: 1 } } }],
      ['POST', `${NS}/${name}/properties`, { name: 'x', title: 'X' }],
      ['POST', `${NS}/${name}/properties`, { name: 'x', title: 'X', type: 'string', minLength: -1 }],
      ['POST', `${NS}/${name}/properties`, { name: 'x', title: 'X', type: 'string', pattern: '([' }],
      ['POST', `${NS}/${name}/tags`, { tags: [{ name: 'a', extra: 1 }] }],
      ['POST', `${NS}/${name}/tags`, {}],
      ['PUT', `${NS}/${name}/tags/a`, { name: 'b', extra: 1 }],
      ['POST', `${NS}/${name}/resource_types`, { prefix: 'hw_' }],
    ];
    for (const [method, path, body] of bad)
      assertFault(await h.request(method, path, { body }), 400, `${method} ${path} ${JSON.stringify(body)}`);
    assertFault(await h.request('POST', NS, { raw: '{"namespace": ', headers: { 'content-type': 'application/json' } }), 400, 'malformed');
    for (const q of ['limit=-1', 'limit=abc', 'sort_dir=up', 'sort_key=bogus', 'visibility=shared']) {
      assertFault(await h.request('GET', `${NS}?${q}`), 400, q);
    }
    assertFault(await create({ namespace: 'ro', self: '/x' }), 403, 'namespace self');
    assertFault(await create({ namespace: 'ro', created_at: 'now' }), 403, 'namespace created_at');
    assertFault(await h.request('POST', `${NS}/${name}/objects`, { body: { name: 'x', updated_at: 'now' } }), 403, 'object updated_at');
    assertFault(
      await h.request('POST', `${NS}/${name}/properties`, { body: { name: 'x', title: 'X', type: 'string', created_at: 'now' } }),
      403,
      'property created_at',
    );
    for (const path of ['/objects/missing', '/properties/missing', '/tags/missing']) {
      assertFault(await h.request('GET', `${NS}/${name}${path}`), 404, path);
    }
    for (const path of ['', '/objects', '/properties', '/tags', '/resource_types']) {
      assertFault(await h.request('GET', `${NS}/missing${path}`), 404, `missing namespace ${path}`);
    }
  });
});
