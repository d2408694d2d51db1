/**
 * Policy enforcement with oslo.policy semantics: services ship default rules,
 * operators override them per rule in a YAML or JSON policy file.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { forbidden } from '../errors.js';
import { type Check, type LiteralValue, type MatchTemplate, type RuleSource, PolicySyntaxError, parseRule } from './check-parser.js';

/** The oslo.policy credentials of a request (see lib/http/auth-context.ts). */
export interface PolicyCredentials {
  user_id?: string;
  project_id?: string | null;
  domain_id?: string | null;
  system_scope?: string | null;
  roles: string[];
  is_admin?: boolean;
  is_admin_project?: boolean;
  user_domain_id?: string;
  project_domain_id?: string | null;
  [k: string]: unknown;
}

/** What a rule is checked against: `%(key)s` reads from here, flat dotted keys or nested objects. */
export type PolicyTarget = Readonly<Record<string, unknown>>;

export class PolicyEngine {
  readonly #rules: ReadonlyMap<string, Check>;

  /** Parses every rule now, so a bad default or override fails at start-up rather than on a request. */
  constructor(defaults: Record<string, string>, overrides: Record<string, RuleSource> = {}) {
    const rules = new Map<string, Check>();
    for (const [name, source] of Object.entries({ ...defaults, ...overrides })) {
      try {
        rules.set(name, parseRule(source));
      } catch (e) {
        if (e instanceof PolicySyntaxError) throw new PolicySyntaxError(`policy rule "${name}": ${e.message}`);
        throw e;
      }
    }
    assertNoCycles(rules);
    this.#rules = rules;
  }

  /**
   * Loads overrides from `path` (JSON or YAML, told apart by content as oslo does).
   * No path means defaults only; a path that cannot be read is an error, since the
   * operator clearly meant those rules to apply.
   */
  static async fromFile(path: string | undefined, defaults: Record<string, string>): Promise<PolicyEngine> {
    if (path === undefined) return new PolicyEngine(defaults);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new Error(`cannot read policy file ${path}: ${(e as Error).message}`, { cause: e });
    }
    const overrides = parsePolicyFile(text, path);
    try {
      return new PolicyEngine(defaults, overrides);
    } catch (e) {
      if (e instanceof PolicySyntaxError) throw new PolicySyntaxError(`${path}: ${e.message}`);
      throw e;
    }
  }

  has(action: string): boolean {
    return this.#rules.has(action);
  }

  /** Rule names, sorted. */
  rules(): string[] {
    return [...this.#rules.keys()].sort();
  }

  /** Whether `creds` may perform `action` on `target`. An action without a rule is a bug, not a denial. */
  check(action: string, target: PolicyTarget, creds: PolicyCredentials): boolean {
    const rule = this.#rules.get(action);
    if (rule === undefined) throw new Error(`no policy rule is registered for "${action}"`);
    return this.#evaluate(rule, target, creds);
  }

  /** Like check(), but throws the 403 every OpenStack service returns on denial. */
  enforce(action: string, target: PolicyTarget, creds: PolicyCredentials): void {
    if (!this.check(action, target, creds)) throw forbidden(`You are not authorized to perform the requested action: ${action}.`);
  }

  #evaluate(check: Check, target: PolicyTarget, creds: PolicyCredentials): boolean {
    switch (check.kind) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'not':
        return !this.#evaluate(check.check, target, creds);
      case 'and':
        return check.checks.every((c) => this.#evaluate(c, target, creds));
      case 'or':
        return check.checks.some((c) => this.#evaluate(c, target, creds));
      case 'rule': {
        // oslo fails closed on a reference to a rule nobody defined.
        const rule = this.#rules.get(check.name);
        return rule !== undefined && this.#evaluate(rule, target, creds);
      }
      case 'role': {
        const match = render(check.match, target);
        if (match === undefined || !Array.isArray(creds.roles)) return false;
        const wanted = match.toLowerCase();
        return creds.roles.some((r) => typeof r === 'string' && r.toLowerCase() === wanted);
      }
      case 'generic': {
        const match = render(check.match, target);
        if (match === undefined) return false;
        // A flat key wins, as it would in a Python dict; otherwise walk nested objects.
        if (Object.hasOwn(creds, check.path)) return valueMatches(creds[check.path], [], match);
        return valueMatches(creds, check.path.split('.'), match);
      }
      case 'literal': {
        const match = render(check.match, target);
        return match !== undefined && literalMatches(check.value, match);
      }
    }
  }
}

/** Parses a policy file into overrides, rejecting anything that is not a map of rule strings/lists. */
export function parsePolicyFile(text: string, source = 'policy file'): Record<string, RuleSource> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new Error(`${source} is neither JSON nor YAML: ${(e as Error).message}`, { cause: e });
    }
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${source} must map rule names to rules`);
  const rules: Record<string, RuleSource> = {};
  for (const [name, value] of Object.entries(doc)) {
    if (!isRuleSource(value)) {
      throw new Error(`${source}: rule "${name}" must be a string or a list of lists of strings`);
    }
    rules[name] = value;
  }
  return rules;
}

function isRuleSource(value: unknown): value is RuleSource {
  if (typeof value === 'string') return true;
  return (
    Array.isArray(value) &&
    value.every((inner) => typeof inner === 'string' || (Array.isArray(inner) && inner.every((s) => typeof s === 'string')))
  );
}

/** Rules referring to themselves would recurse forever at request time; refuse them up front. */
function assertNoCycles(rules: ReadonlyMap<string, Check>): void {
  const done = new Set<string>();
  const visit = (name: string, path: string[]): void => {
    if (done.has(name)) return;
    if (path.includes(name)) {
      const loop = [...path.slice(path.indexOf(name)), name].join(' -> ');
      throw new PolicySyntaxError(`policy rules reference each other in a loop: ${loop}`);
    }
    const rule = rules.get(name);
    if (rule !== undefined) for (const ref of references(rule)) visit(ref, [...path, name]);
    done.add(name);
  };
  for (const name of rules.keys()) visit(name, []);
}

function references(check: Check): string[] {
  switch (check.kind) {
    case 'rule':
      return [check.name];
    case 'not':
      return references(check.check);
    case 'and':
    case 'or':
      return check.checks.flatMap(references);
    default:
      return [];
  }
}

/** Python's `template % target`; undefined where oslo would hit a KeyError (and so deny). */
function render(template: MatchTemplate, target: PolicyTarget): string | undefined {
  let out = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const text = pythonStr(lookup(target, part.key));
    if (text === undefined) return undefined;
    out += text;
  }
  return out;
}

/** `target.user.domain_id` names a flat key (Keystone flattens targets) or a path into nested objects. */
function lookup(target: PolicyTarget, key: string): unknown {
  if (Object.hasOwn(target, key)) return target[key];
  let current: unknown = target;
  for (const segment of key.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/**
 * str() of a scalar as Python would print it. null/undefined/objects give undefined:
 * oslo would render None as "None" and let two missing ids match each other, which
 * we deliberately do not allow.
 */
function pythonStr(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return String(value);
  return undefined;
}

/** oslo's GenericCheck._find_in_dict: walk `path` into creds; a list matches if any element does. */
function valueMatches(value: unknown, path: readonly string[], match: string): boolean {
  if (Array.isArray(value)) return value.some((v) => valueMatches(v, path, match));
  if (path.length === 0) return scalarMatches(value, match);
  const [head, ...rest] = path;
  if (!isRecord(value) || head === undefined || !Object.hasOwn(value, head)) return false;
  return valueMatches(value[head], rest, match);
}

function scalarMatches(value: unknown, match: string): boolean {
  // Booleans compare case-insensitively so `is_admin:true` and `is_admin:True` agree.
  if (typeof value === 'boolean') return match.toLowerCase() === String(value);
  const text = pythonStr(value);
  return text !== undefined && text === match;
}

function literalMatches(value: LiteralValue, match: string): boolean {
  if (value === null) return match === 'None';
  if (typeof value === 'object') return match === value.number;
  return scalarMatches(value, match);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
