import { ServerlessConfigError } from './errors';

/** What the variable sources of serverless.yml read from when resolved locally. */
export interface VariableSources {
  /** `${sls:stage}`: the stage being deployed. */
  stage: string;
  /** `${aws:region}`. */
  region: string;
  /** CLI options as `osls --stage x` would give them (`${opt:name}`); pass the stage here too. */
  options?: Record<string, string | undefined>;
  /** `${env:NAME}`; defaults to an empty environment so resolution stays reproducible. */
  env?: Record<string, string | undefined>;
}

/** A variable that resolved to nothing; a fallback, if given, is used instead. */
const MISSING = Symbol('missing');

/** Guards against `${self:a}` pointing at itself, directly or through others. */
const MAX_DEPTH = 20;

/**
 * Resolves the `${source:address, fallback}` variables of a serverless.yml document the
 * way osls does for the sources this project uses: `self`, `sls`, `opt`, `param`, `aws`
 * (region only) and `env`. Variables may be nested in addresses and fallbacks and
 * embedded in longer strings; a string that is exactly one variable keeps the value's
 * type. Anything else (`ssm`, `cf`, `file`, …) is a {@link ServerlessConfigError}, so a
 * new source shows up as a clear message rather than as a literal `${…}` at run time.
 */
export function resolveVariables(document: Record<string, unknown>, sources: VariableSources): Record<string, unknown> {
  return new VariableResolver(document, sources).resolve(document, '', 0) as Record<string, unknown>;
}

/** Resolves one value of `document` (e.g. `provider.stage` before the stage is known). */
export function resolveVariablesIn(value: unknown, document: Record<string, unknown>, sources: VariableSources, where = ''): unknown {
  return new VariableResolver(document, sources).resolve(value, where, 0);
}

class VariableResolver {
  constructor(
    private readonly document: Record<string, unknown>,
    private readonly sources: VariableSources,
  ) {}

  resolve(value: unknown, where: string, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new ServerlessConfigError(`Variables nest too deeply (a cycle?) at ${where || 'the root'}`);
    if (typeof value === 'string') return this.resolveString(value, where, depth);
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${where}[${index}]`, depth));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.resolve(item, where ? `${where}.${key}` : key, depth)]),
      );
    }
    return value;
  }

  private resolveString(text: string, where: string, depth: number): unknown {
    const parts = splitTemplate(text, where).map((part) =>
      // `${AWS::Region}` and `${Bucket.Arn}` belong to CloudFormation's Fn::Sub; osls leaves them too.
      typeof part !== 'string' && !isServerlessVariable(part.expression) ? `\${${part.expression}}` : part,
    );
    if (parts.every((part) => typeof part === 'string')) return parts.join('');
    if (parts.length === 1 && typeof parts[0] !== 'string') {
      return this.resolveExpression(parts[0]!.expression, where, depth);
    }
    return parts
      .map((part) => {
        if (typeof part === 'string') return part;
        const value = this.resolveExpression(part.expression, where, depth);
        if (value !== null && typeof value === 'object') {
          throw new ServerlessConfigError(`\${${part.expression}} at ${where} is an object and cannot be embedded in a string`);
        }
        return String(value);
      })
      .join('');
  }

  /** `source:address[, fallback]`, where both sides may hold variables themselves. */
  private resolveExpression(expression: string, where: string, depth: number): unknown {
    const [addressPart, fallbackPart] = splitFallback(expression);
    const reference = String(this.resolveString(addressPart.trim(), where, depth + 1));
    const colon = reference.indexOf(':');
    if (colon < 0) throw new ServerlessConfigError(`\${${expression}} at ${where} has no source (expected source:address)`);
    const value = this.lookUp(reference.slice(0, colon).trim(), reference.slice(colon + 1).trim(), where, depth);
    if (value !== MISSING && value !== null && value !== undefined) return value;
    if (fallbackPart !== undefined) return this.resolveFallback(fallbackPart.trim(), where, depth);
    throw new ServerlessConfigError(`\${${expression}} at ${where} resolved to nothing and has no fallback`);
  }

  private lookUp(source: string, address: string, where: string, depth: number): unknown {
    switch (source) {
      case 'self':
        return this.resolve(readPath(this.document, address), `self:${address}`, depth + 1);
      case 'sls':
        if (address === 'stage') return this.sources.stage;
        break;
      case 'opt':
        return this.sources.options?.[address] ?? MISSING;
      case 'param': {
        // A param's value may hold variables itself (`bedrockRegion: ${aws:region}`), as osls resolves them.
        const value = this.param(address);
        return value === MISSING ? value : this.resolve(value, `param:${address}`, depth + 1);
      }
      case 'aws':
        if (address === 'region') return this.sources.region;
        break;
      case 'env':
        return this.sources.env?.[address] ?? MISSING;
      default:
        throw new ServerlessConfigError(
          `Unknown variable source "${source}" in \${${source}:${address}} at ${where}; the local runtime resolves self, sls, opt, param, aws:region and env (see shared/devTools/localPlatform/resolveVariables.ts)`,
        );
    }
    throw new ServerlessConfigError(`Unsupported variable \${${source}:${address}} at ${where}`);
  }

  private param(name: string): unknown {
    const params = (this.document.params ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const forStage = params[this.sources.stage]?.[name];
    return forStage !== undefined ? forStage : (params.default?.[name] ?? MISSING);
  }

  private resolveFallback(fallback: string, where: string, depth: number): unknown {
    const quoted = /^'(.*)'$/s.exec(fallback) ?? /^"(.*)"$/s.exec(fallback);
    if (quoted) return quoted[1];
    if (/^-?\d+(\.\d+)?$/.test(fallback)) return Number(fallback);
    if (fallback === 'true' || fallback === 'false') return fallback === 'true';
    if (fallback === 'null') return null;
    if (fallback.startsWith('${')) return this.resolveString(fallback, where, depth + 1);
    throw new ServerlessConfigError(`Fallback "${fallback}" at ${where} must be quoted, a number, a boolean or a variable`);
  }
}

type TemplatePart = string | { expression: string };

/** `source:address…` or a nested variable, as opposed to a CloudFormation substitution. */
function isServerlessVariable(expression: string): boolean {
  return expression.trimStart().startsWith('${') || /^\s*[\w-]+:(?!:)/.test(expression);
}

/** Cuts a string into literal text and top-level `${…}` expressions (braces balanced). */
function splitTemplate(text: string, where: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  while (cursor < text.length) {
    const start = text.indexOf('${', cursor);
    if (start < 0) break;
    let depth = 0;
    let end = -1;
    for (let index = start; index < text.length; index += 1) {
      if (text[index] === '{') depth += 1;
      else if (text[index] === '}' && --depth === 0) {
        end = index;
        break;
      }
    }
    if (end < 0) throw new ServerlessConfigError(`Unclosed variable in "${text}" at ${where}`);
    if (start > cursor) parts.push(text.slice(cursor, start));
    parts.push({ expression: text.slice(start + 2, end) });
    cursor = end + 1;
  }
  if (cursor < text.length || parts.length === 0) parts.push(text.slice(cursor));
  return parts;
}

/** Splits at the first comma that is outside nested variables and quotes. */
function splitFallback(expression: string): [string, string | undefined] {
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < expression.length; index += 1) {
    const char = expression[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '{') depth += 1;
    else if (char === '}') depth -= 1;
    else if (char === ',' && depth === 0) return [expression.slice(0, index), expression.slice(index + 1)];
  }
  return [expression, undefined];
}

function readPath(document: Record<string, unknown>, path: string): unknown {
  let node: unknown = document;
  for (const key of path.split('.').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return MISSING;
    node = (node as Record<string, unknown>)[key];
  }
  return node === undefined ? MISSING : node;
}
