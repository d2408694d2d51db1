import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KumoError } from '../errors.js';
import { PolicySyntaxError, formatCheck, parseRule } from './check-parser.js';
import { type PolicyCredentials, PolicyEngine, parsePolicyFile } from './policy-engine.js';

const fmt = (rule: Parameters<typeof parseRule>[0]): string => formatCheck(parseRule(rule));

const projectReader: PolicyCredentials = {
  user_id: 'u1',
  user_domain_id: 'd1',
  project_id: 'p1',
  project_domain_id: 'd1',
  domain_id: null,
  system_scope: null,
  roles: ['Reader', 'member'],
};
const domainReader: PolicyCredentials = {
  user_id: 'u2',
  domain_id: 'd1',
  project_id: null,
  system_scope: null,
  roles: ['reader'],
};
const systemReader: PolicyCredentials = { user_id: 'u3', system_scope: 'all', project_id: null, roles: ['reader'] };

const KEYSTONE_DEFAULTS: Record<string, string> = {
  admin_required: 'role:admin or is_admin:1',
  'identity:get_user':
    '(role:reader and system_scope:all) or (role:reader and domain_id:%(target.user.domain_id)s) or user_id:%(target.user.id)s',
  'identity:list_projects': 'rule:admin_required',
  project_reader_api: 'role:reader and project_id:%(project_id)s',
  'os_compute_api:servers:show': 'rule:project_reader_api',
};

describe('check parser', () => {
  it('gives not > and > or precedence', () => {
    assert.equal(fmt('role:a or role:b and role:c'), '(role:a or (role:b and role:c))');
    assert.equal(fmt('role:a and role:b or role:c'), '((role:a and role:b) or role:c)');
    assert.equal(fmt('not role:a and role:b'), '(not role:a and role:b)');
    assert.equal(fmt('role:a AND role:b Or NOT role:c'), '((role:a and role:b) or not role:c)');
    assert.equal(fmt('role:a and role:b and role:c'), '(role:a and role:b and role:c)');
  });

  it('honours parentheses, attached or spaced', () => {
    assert.equal(fmt('(role:a or role:b) and role:c'), '((role:a or role:b) and role:c)');
    assert.equal(fmt('((role:a)) and ( role:b or role:c )'), '(role:a and (role:b or role:c))');
    assert.equal(fmt('not (role:a or role:b)'), 'not (role:a or role:b)');
    assert.equal(fmt('(project_id:%(project_id)s)'), 'project_id:%(project_id)s');
  });

  it('knows @, !, empty and list-of-lists', () => {
    assert.deepEqual(parseRule('@'), { kind: 'true' });
    assert.deepEqual(parseRule('!'), { kind: 'false' });
    assert.deepEqual(parseRule(''), { kind: 'true' });
    assert.deepEqual(parseRule([]), { kind: 'true' });
    assert.deepEqual(parseRule([[]]), { kind: 'false' });
    assert.equal(fmt([['role:a', 'project_id:%(project_id)s'], ['role:admin']]), '((role:a and project_id:%(project_id)s) or role:admin)');
    assert.equal(fmt(['role:a', ['role:b']]), '(role:a or role:b)');
  });

  it('parses checks and quoted literals on the left', () => {
    assert.deepEqual(parseRule("'member':%(role.name)s"), {
      kind: 'literal',
      left: "'member'",
      value: 'member',
      match: { source: '%(role.name)s', parts: [{ key: 'role.name' }] },
    });
    assert.equal(parseRule('True:%(user.enabled)s').kind, 'literal');
    assert.deepEqual(parseRule('role:compute:admin'), {
      kind: 'role',
      match: { source: 'compute:admin', parts: ['compute:admin'] },
    });
    assert.deepEqual(parseRule('x:a%%b'), { kind: 'generic', path: 'x', match: { source: 'a%%b', parts: ['a%b'] } });
  });

  it('rejects bad syntax with clear errors', () => {
    const bad: [string, RegExp][] = [
      ['role:a and', /expected a check but found end of rule/],
      ['role:a or or role:b', /expected a check but found 'or'/],
      ['(role:a', /expected '\)'/],
      ['role:a)', /expected 'and', 'or' or end of rule but found '\)'/],
      ['role:a role:b', /expected 'and', 'or'/],
      ['()', /expected a check/],
      ['admin', /'admin' is not a check/],
      ['"quoted"', /quoted string/],
      ['http://example.com/check', /remote http checks are not supported/],
      ['project_id:%(project_id)d', /expected '%\(key\)s'/],
      ['x:50%', /'%' must start/],
      ["'a:b", /bad quoted literal/],
      ['   ', /blank/],
      [':x', /nothing before ':'/],
    ];
    for (const [rule, message] of bad) assert.throws(() => parseRule(rule), message, rule);
  });
});

describe('PolicyEngine', () => {
  const engine = new PolicyEngine(KEYSTONE_DEFAULTS);

  it('evaluates project-scoped rules through rule: references', () => {
    assert.equal(engine.check('os_compute_api:servers:show', { project_id: 'p1' }, projectReader), true);
    assert.equal(engine.check('os_compute_api:servers:show', { project_id: 'p2' }, projectReader), false);
    assert.equal(engine.check('os_compute_api:servers:show', { project_id: 'p1' }, { ...projectReader, roles: ['member'] }), false);
    assert.equal(engine.check('identity:list_projects', {}, projectReader), false);
    assert.equal(engine.check('identity:list_projects', {}, { ...projectReader, roles: ['ADMIN'] }), true);
  });

  it('evaluates system and domain scope with flat and nested targets', () => {
    const flat = { 'target.user.domain_id': 'd1', 'target.user.id': 'u9' };
    const nested = { target: { user: { domain_id: 'd1', id: 'u9' } } };
    for (const target of [flat, nested]) {
      assert.equal(engine.check('identity:get_user', target, systemReader), true);
      assert.equal(engine.check('identity:get_user', target, domainReader), true);
      assert.equal(engine.check('identity:get_user', target, projectReader), false);
      assert.equal(engine.check('identity:get_user', target, { ...projectReader, user_id: 'u9' }), true);
    }
    const otherDomain = { target: { user: { domain_id: 'd2', id: 'u9' } } };
    assert.equal(engine.check('identity:get_user', otherDomain, domainReader), false);
    // A flat key wins over a nested path of the same name.
    assert.equal(engine.check('identity:get_user', { ...otherDomain, 'target.user.domain_id': 'd1' }, domainReader), true);
  });

  it('denies when a target key is missing or null', () => {
    assert.equal(engine.check('os_compute_api:servers:show', {}, projectReader), false);
    const e = new PolicyEngine({ p: 'project_id:%(project_id)s' });
    // oslo would render both as "None" and allow; two missing ids must not match.
    assert.equal(e.check('p', { project_id: null }, domainReader), false);
  });

  it('compares literals, booleans and lists as oslo does', () => {
    const e = new PolicyEngine({
      member: "'member':%(role.name)s",
      enabled: 'True:%(user.enabled)s',
      admin_true: 'is_admin:true',
      admin_one: 'is_admin:1',
      not_foo: 'not role:foo',
      in_list: 'groups:g2',
      nested_creds: 'token.project.id:%(project_id)s',
      role_from_target: 'role:%(role)s',
    });
    assert.equal(e.check('member', { role: { name: 'member' } }, projectReader), true);
    assert.equal(e.check('member', { 'role.name': 'admin' }, projectReader), false);
    assert.equal(e.check('enabled', { user: { enabled: true } }, projectReader), true);
    assert.equal(e.check('enabled', { user: { enabled: false } }, projectReader), false);
    assert.equal(e.check('admin_true', {}, { roles: [], is_admin: true }), true);
    assert.equal(e.check('admin_true', {}, { roles: [], is_admin: false }), false);
    assert.equal(e.check('admin_true', {}, { roles: [] }), false);
    // Python's str(True) is "True", never "1".
    assert.equal(e.check('admin_one', {}, { roles: [], is_admin: true }), false);
    assert.equal(e.check('not_foo', {}, projectReader), true);
    assert.equal(e.check('not_foo', {}, { roles: ['Foo'] }), false);
    assert.equal(e.check('in_list', {}, { roles: [], groups: ['g1', 'g2'] }), true);
    assert.equal(e.check('in_list', {}, { roles: [], groups: ['g1'] }), false);
    assert.equal(e.check('nested_creds', { project_id: 'p1' }, { roles: [], token: { project: { id: 'p1' } } }), true);
    assert.equal(e.check('role_from_target', { role: 'READER' }, projectReader), true);
  });

  it('treats @, !, empty and unknown rule: references as oslo does', () => {
    const e = new PolicyEngine({ some: '@', other: '!', x: '', unknown: 'rule:nope', legacy: '' }, { legacy: [['role:member']] });
    const nobody: PolicyCredentials = { roles: [] };
    assert.equal(e.check('some', {}, nobody), true);
    assert.equal(e.check('other', {}, projectReader), false);
    assert.equal(e.check('x', {}, nobody), true);
    assert.equal(e.check('unknown', {}, projectReader), false);
    assert.equal(e.check('legacy', {}, nobody), false);
    assert.equal(e.check('legacy', {}, projectReader), true);
  });

  it('enforce throws a 403 KumoError; an action without a rule is a plain Error', () => {
    assert.doesNotThrow(() => engine.enforce('os_compute_api:servers:show', { project_id: 'p1' }, projectReader));
    assert.throws(
      () => engine.enforce('identity:list_projects', {}, projectReader),
      (e: unknown) =>
        e instanceof KumoError &&
        e.status === 403 &&
        e.message === 'You are not authorized to perform the requested action: identity:list_projects.',
    );
    assert.throws(
      () => engine.check('identity:nope', {}, projectReader),
      (e: unknown) => e instanceof Error && !(e instanceof KumoError) && /no policy rule/.test(e.message),
    );
    assert.equal(engine.has('identity:get_user'), true);
    assert.equal(engine.has('identity:nope'), false);
    assert.deepEqual(engine.rules(), Object.keys(KEYSTONE_DEFAULTS).sort());
  });

  it('fails at construction on bad syntax or rule loops, naming the rule', () => {
    assert.throws(
      () => new PolicyEngine({ good: '@', bad: 'role:a and' }),
      (e: unknown) => e instanceof PolicySyntaxError && /policy rule "bad"/.test(e.message),
    );
    assert.throws(() => new PolicyEngine({ good: '@' }, { w: 'http://example.com' }), /policy rule "w".*not supported/);
    assert.throws(() => new PolicyEngine({ a: 'rule:b', b: 'role:x or rule:c', c: 'not rule:a' }), /loop: a -> b -> c -> a/);
    assert.throws(() => new PolicyEngine({ self: 'rule:self' }), /loop: self -> self/);
  });
});

describe('policy files', () => {
  const withTempDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'kumo-policy-'));
    try {
      await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('overrides defaults from YAML and adds new rules', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'policy.yaml');
      await writeFile(
        path,
        ['# operator overrides', '"identity:list_projects": "role:reader"', 'custom: "@"', 'legacy:', '  - ["role:member"]', ''].join('\n'),
      );
      const e = await PolicyEngine.fromFile(path, KEYSTONE_DEFAULTS);
      assert.equal(e.check('identity:list_projects', {}, domainReader), true);
      assert.equal(e.check('os_compute_api:servers:show', { project_id: 'p1' }, projectReader), true);
      assert.equal(e.check('legacy', {}, projectReader), true);
      assert.ok(e.has('custom'));
    }));

  it('reads JSON, and empty files as no overrides', () =>
    withTempDir(async (dir) => {
      const json = join(dir, 'policy.json');
      await writeFile(json, JSON.stringify({ 'identity:list_projects': [['role:reader']] }));
      assert.equal((await PolicyEngine.fromFile(json, KEYSTONE_DEFAULTS)).check('identity:list_projects', {}, domainReader), true);
      const empty = join(dir, 'empty.yaml');
      await writeFile(empty, '');
      assert.equal((await PolicyEngine.fromFile(empty, KEYSTONE_DEFAULTS)).check('identity:list_projects', {}, domainReader), false);
    }));

  it('uses defaults without a path, and fails on a missing or bad file', () =>
    withTempDir(async (dir) => {
      assert.deepEqual((await PolicyEngine.fromFile(undefined, KEYSTONE_DEFAULTS)).rules(), Object.keys(KEYSTONE_DEFAULTS).sort());
      await assert.rejects(PolicyEngine.fromFile(join(dir, 'missing.yaml'), KEYSTONE_DEFAULTS), /cannot read policy file/);
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, '"identity:list_projects": "role:reader or"\n');
      await assert.rejects(PolicyEngine.fromFile(bad, KEYSTONE_DEFAULTS), /bad\.yaml: policy rule "identity:list_projects"/);
      await writeFile(bad, 'x: 1\n');
      await assert.rejects(PolicyEngine.fromFile(bad, KEYSTONE_DEFAULTS), /rule "x" must be a string/);
      await writeFile(bad, '- a\n- b\n');
      await assert.rejects(PolicyEngine.fromFile(bad, KEYSTONE_DEFAULTS), /must map rule names/);
    }));

  it('parsePolicyFile rejects text that is neither JSON nor YAML', () => {
    assert.throws(() => parsePolicyFile('a: [unclosed', 'p.yaml'), /p\.yaml is neither JSON nor YAML/);
  });
});
