/**
 * Parser for oslo.policy check strings ("role:reader and project_id:%(project_id)s").
 *
 * Tokenizing follows oslo.policy's _parser.py exactly (split on whitespace, peel
 * leading '(' and trailing ')', and/or/not case-insensitive) so operators' existing
 * policy files mean the same thing here. Unlike oslo, which logs and turns a rule
 * it cannot parse into "never", we throw: a typo should stop start-up, not
 * silently lock users out.
 */

/** One piece of a right-hand side: literal text, or a `%(key)s` lookup in the target. */
export type TemplatePart = string | { readonly key: string };

/** The right-hand side of a check, pre-split so evaluation never re-parses it. */
export interface MatchTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

/** A Python literal on the left of a generic check (`'member':%(role.name)s`, `True:%(x)s`). */
export type LiteralValue = string | boolean | null | { readonly number: string };

export type Check =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'not'; readonly check: Check }
  | { readonly kind: 'and'; readonly checks: readonly Check[] }
  | { readonly kind: 'or'; readonly checks: readonly Check[] }
  | { readonly kind: 'rule'; readonly name: string }
  | { readonly kind: 'role'; readonly match: MatchTemplate }
  /** `path:match`: `path` is a (dotted) key of the credentials. */
  | { readonly kind: 'generic'; readonly path: string; readonly match: MatchTemplate }
  /** `literal:match`: the literal is compared with the rendered match. */
  | { readonly kind: 'literal'; readonly left: string; readonly value: LiteralValue; readonly match: MatchTemplate };

/** A rule as written in a policy file: a check string, or the legacy list-of-lists (outer "or", inner "and"). */
export type RuleSource = string | ReadonlyArray<string | readonly string[]>;

export class PolicySyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicySyntaxError';
  }
}

const TRUE: Check = { kind: 'true' };
const FALSE: Check = { kind: 'false' };

/** Parses a rule in either form. An empty string or empty list means "always", as in oslo. */
export function parseRule(source: RuleSource): Check {
  return typeof source === 'string' ? parseCheckString(source) : parseListRule(source);
}

/** Legacy JSON form: [["role:a", "project_id:%(project_id)s"], ["role:admin"]]. Each item is one check. */
export function parseListRule(rule: ReadonlyArray<string | readonly string[]>): Check {
  if (rule.length === 0) return TRUE;
  const or: Check[] = [];
  for (const inner of rule) {
    const items = typeof inner === 'string' ? [inner] : inner;
    if (items.length === 0) continue; // oslo skips empty inner lists
    const and = items.map((item) => {
      if (typeof item !== 'string') throw new PolicySyntaxError('list rules hold only strings or lists of strings');
      return parseSingleCheck(item);
    });
    or.push(and.length === 1 ? and[0]! : { kind: 'and', checks: and });
  }
  // Only empty inner lists: oslo treats that as "never".
  if (or.length === 0) return FALSE;
  return or.length === 1 ? or[0]! : { kind: 'or', checks: or };
}

type Token =
  | { readonly t: '(' | ')' | 'and' | 'or' | 'not' }
  | { readonly t: 'check'; readonly check: Check }
  | { readonly t: 'string'; readonly text: string };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  for (const raw of rule.split(/\s+/)) {
    if (raw === '') continue;
    const tok = raw.replace(/^\(+/, '');
    for (let i = tok.length; i < raw.length; i++) tokens.push({ t: '(' });
    if (tok === '') continue;
    const clean = tok.replace(/\)+$/, '');
    const trailing = tok.length - clean.length;
    const lowered = clean.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
      tokens.push({ t: lowered });
    } else if (clean !== '') {
      // oslo tests the quote pair on the token before stripping ')', so do the same.
      if (tok.length >= 2 && (tok[0] === '"' || tok[0] === "'") && tok.at(-1) === tok[0]) {
        tokens.push({ t: 'string', text: tok.slice(1, -1) });
      } else {
        tokens.push({ t: 'check', check: parseSingleCheck(clean) });
      }
    }
    for (let i = 0; i < trailing; i++) tokens.push({ t: ')' });
  }
  return tokens;
}

/** Parses a full check string with `not` > `and` > `or` and parentheses. */
export function parseCheckString(rule: string): Check {
  if (rule === '') return TRUE;
  const tokens = tokenize(rule);
  if (tokens.length === 0) throw new PolicySyntaxError('rule is blank (use "" or "@" for always)');
  let pos = 0;
  const describe = (tok: Token | undefined): string =>
    tok === undefined
      ? 'end of rule'
      : tok.t === 'check'
        ? `'${formatCheck(tok.check)}'`
        : tok.t === 'string'
          ? `quoted string '${tok.text}'`
          : `'${tok.t}'`;
  const fail = (expected: string): never => {
    throw new PolicySyntaxError(`expected ${expected} but found ${describe(tokens[pos])} (token ${pos + 1}) in "${rule}"`);
  };

  const parseOr = (): Check => {
    const checks = [parseAnd()];
    while (tokens[pos]?.t === 'or') {
      pos++;
      checks.push(parseAnd());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'or', checks };
  };
  const parseAnd = (): Check => {
    const checks = [parseUnary()];
    while (tokens[pos]?.t === 'and') {
      pos++;
      checks.push(parseUnary());
    }
    return checks.length === 1 ? checks[0]! : { kind: 'and', checks };
  };
  const parseUnary = (): Check => {
    const tok = tokens[pos];
    if (tok?.t === 'not') {
      pos++;
      return { kind: 'not', check: parseUnary() };
    }
    if (tok?.t === '(') {
      pos++;
      const inner = parseOr();
      if (tokens[pos]?.t !== ')') fail("')'");
      pos++;
      return inner;
    }
    if (tok?.t === 'check') {
      pos++;
      return tok.check;
    }
    return fail('a check');
  };

  const result = parseOr();
  if (pos < tokens.length) fail("'and', 'or' or end of rule");
  return result;
}

/** Parses one `kind:match` check (no operators), as oslo's _parse_check does. */
export function parseSingleCheck(text: string): Check {
  if (text === '@') return TRUE;
  if (text === '!') return FALSE;
  const colon = text.indexOf(':');
  if (colon < 0) throw new PolicySyntaxError(`'${text}' is not a check (expected 'kind:match', '@' or '!')`);
  const kind = text.slice(0, colon);
  const match = text.slice(colon + 1);
  switch (kind) {
    case 'rule':
      return { kind: 'rule', name: match };
    case 'role':
      return { kind: 'role', match: parseTemplate(match) };
    case 'http':
    case 'https':
      throw new PolicySyntaxError(`'${text}': remote ${kind} checks are not supported`);
    default: {
      if (kind === '') throw new PolicySyntaxError(`'${text}' has nothing before ':'`);
      const value = parseLiteral(kind);
      return value === undefined
        ? { kind: 'generic', path: kind, match: parseTemplate(match) }
        : { kind: 'literal', left: kind, value, match: parseTemplate(match) };
    }
  }
}

/**
 * The subset of Python literals oslo's ast.literal_eval accepts that make sense
 * on the left of a check; undefined means "not a literal: a credentials key".
 */
function parseLiteral(kind: string): LiteralValue | undefined {
  const q = kind[0];
  if (q === "'" || q === '"') {
    const body = kind.slice(1, -1);
    if (kind.length < 2 || kind.at(-1) !== q || body.includes(q) || body.includes('\\')) {
      throw new PolicySyntaxError(`bad quoted literal ${kind} (no ':', quotes or backslashes inside quotes)`);
    }
    return body;
  }
  if (kind === 'True') return true;
  if (kind === 'False') return false;
  if (kind === 'None') return null;
  if (/^-?(?:0|[1-9][0-9]*)$/.test(kind)) return { number: kind };
  return undefined;
}

/** Splits a Python %-format string; only `%(key)s` and `%%` are meaningful in policy rules. */
export function parseTemplate(source: string): MatchTemplate {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch !== '%') {
      text += ch;
      i++;
      continue;
    }
    if (source[i + 1] === '%') {
      text += '%';
      i += 2;
      continue;
    }
    if (source[i + 1] !== '(') throw new PolicySyntaxError(`'${source}': '%' must start '%(key)s' (write '%%' for a literal '%')`);
    // Python counts nested parentheses inside the key; so do we.
    let depth = 1;
    let j = i + 2;
    for (; j < source.length && depth > 0; j++) {
      if (source[j] === '(') depth++;
      else if (source[j] === ')') depth--;
    }
    if (depth > 0 || source[j] !== 's') throw new PolicySyntaxError(`'${source}': expected '%(key)s'`);
    if (text !== '') parts.push(text);
    text = '';
    parts.push({ key: source.slice(i + 2, j - 1) });
    i = j + 1;
  }
  if (text !== '') parts.push(text);
  return { source, parts };
}

/** Renders a check back to text in oslo's style (and/or fully parenthesized), for messages and tests. */
export function formatCheck(check: Check): string {
  switch (check.kind) {
    case 'true':
      return '@';
    case 'false':
      return '!';
    case 'not':
      return `not ${formatCheck(check.check)}`;
    case 'and':
    case 'or':
      return `(${check.checks.map(formatCheck).join(` ${check.kind} `)})`;
    case 'rule':
      return `rule:${check.name}`;
    case 'role':
      return `role:${check.match.source}`;
    case 'generic':
      return `${check.path}:${check.match.source}`;
    case 'literal':
      return `${check.left}:${check.match.source}`;
  }
}
