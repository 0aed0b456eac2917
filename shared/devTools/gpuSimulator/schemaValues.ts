import { createHash } from 'node:crypto';

/**
 * Deterministic values that follow a JSON schema: tool-call arguments (OpenAI
 * `function.parameters`, Bedrock `inputSchema.json`) and structured output
 * (`response_format: json_schema`). The same schema and prompt always give the same value.
 * Covered: `type` (string, number, integer, boolean, array, object, null, or a list of
 * them), `enum`, `const`, `anyOf`/`oneOf`/`allOf` (first branch), local `$ref`s
 * (`#/$defs/...`, `#/definitions/...`), `required`, `minItems`, `minimum`/`maximum`,
 * `minLength`/`maxLength` and a few string `format`s. Anything else yields a string.
 */

/** A JSON schema, as loosely as callers send them. */
export type JsonSchema = Record<string, unknown>;

const MAX_DEPTH = 12;

function hex(seed: string, path: string, length: number): string {
  return createHash('sha256').update(seed).update('\u0000').update(path).digest('hex').slice(0, length);
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (!isSchema(node)) return undefined;
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return isSchema(node) ? node : undefined;
}

function stringFor(schema: JsonSchema, seed: string, path: string): string {
  const tag = hex(seed, path, 8);
  const format = typeof schema.format === 'string' ? schema.format : '';
  const key = path.split('.').pop() || 'value';
  let text =
    format === 'date-time'
      ? '2025-01-01T00:00:00Z'
      : format === 'date'
        ? '2025-01-01'
        : format === 'time'
          ? '00:00:00'
          : format === 'email'
            ? `sim-${tag}@example.com`
            : format === 'uri' || format === 'url'
              ? `https://example.com/${tag}`
              : format === 'uuid'
                ? `${tag}-0000-4000-8000-${hex(seed, `${path}#uuid`, 12)}`
                : `${key} ${tag}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  while (text.length < min) text += tag;
  if (text.length > max) text = text.slice(0, max);
  return text;
}

function numberFor(schema: JsonSchema, seed: string, path: string, integer: boolean): number {
  const low =
    typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0;
  const high =
    typeof schema.maximum === 'number'
      ? schema.maximum
      : typeof schema.exclusiveMaximum === 'number'
        ? schema.exclusiveMaximum - 1
        : low + 100;
  const fraction = Number.parseInt(hex(seed, path, 8), 16) / 0xffffffff;
  const value = low + fraction * Math.max(0, high - low);
  if (integer) return Math.min(Math.max(Math.round(value), Math.ceil(low)), Math.floor(Math.max(low, high)));
  return Math.round(value * 100) / 100;
}

function valueAt(root: JsonSchema, schema: JsonSchema, seed: string, path: string, depth: number): unknown {
  if (depth > MAX_DEPTH) return null;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    return target ? valueAt(root, target, seed, path, depth + 1) : stringFor({}, seed, path);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) {
      const first = branches.find((branch) => isSchema(branch) && branch.type !== 'null') ?? branches[0];
      if (isSchema(first)) return valueAt(root, { ...schema, [key]: undefined, ...first }, seed, path, depth + 1);
    }
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((candidate) => candidate !== 'null') ?? types[0] ?? (isSchema(schema.properties) ? 'object' : 'string');
  switch (type) {
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required)
        ? schema.required.filter((name): name is string => typeof name === 'string')
        : Object.keys(properties);
      const result: Record<string, unknown> = {};
      for (const name of required) {
        const property = properties[name];
        result[name] = valueAt(root, isSchema(property) ? property : {}, seed, path === '' ? name : `${path}.${name}`, depth + 1);
      }
      return result;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      const items = isSchema(schema.items) ? schema.items : {};
      return Array.from({ length: count }, (_, index) => valueAt(root, items, seed, `${path}[${index}]`, depth + 1));
    }
    case 'integer':
      return numberFor(schema, seed, path, true);
    case 'number':
      return numberFor(schema, seed, path, false);
    case 'boolean':
      return Number.parseInt(hex(seed, path, 2), 16) % 2 === 0;
    case 'null':
      return null;
    default:
      return stringFor(schema, seed, path);
  }
}

/** A value that follows `schema`, derived from `seed` (e.g. the prompt). */
export function valueForSchema(schema: JsonSchema, seed: string): unknown {
  return valueAt(schema, schema, seed, '', 0);
}
