// One way to check what is read from disk against a JSON schema: every problem on its own line, naming the file and
// the field as a JSON pointer, unknown fields with the nearest valid name.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ConfigError, didYouMean } from '../errors.js';

export type JsonSchema = Record<string, unknown>;

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

export function compileSchema(schema: JsonSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = new Ajv2020({ allErrors: true, strict: true, discriminator: true }).compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

// The schema node an error's schemaPath points at, to list the valid names of an object with an unknown field.
function propertiesAt(schema: JsonSchema, schemaPath: string): string[] {
  let node: unknown = schema;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) {
    if (node === null || typeof node !== 'object') return [];
    node = (node as Record<string, unknown>)[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
  }
  const props = node && typeof node === 'object' ? (node as { properties?: Record<string, unknown> }).properties : undefined;
  return props ? Object.keys(props).filter((k) => k !== '$schema') : [];
}

export function describeSchemaErrors(file: string, errors: ErrorObject[], schema: JsonSchema): string {
  // Summary keywords (oneOf, discriminator) repeat what the errors beside them already say.
  const summary = new Set(['oneOf', 'discriminator', 'if']);
  const useful = errors.filter((e) => !summary.has(e.keyword) || errors.every((o) => summary.has(o.keyword)));
  const lines = useful.map((e) => {
    const at = e.instancePath === '' ? '/' : e.instancePath;
    if (e.keyword === 'additionalProperties') {
      const name = String(e.params.additionalProperty);
      return `${file}: ${at} has unknown field '${name}'${didYouMean(name, propertiesAt(schema, e.schemaPath))}`;
    }
    if (e.keyword === 'required') return `${file}: ${at} is missing required field '${String(e.params.missingProperty)}'`;
    if (e.keyword === 'enum') return `${file}: ${at} must be one of ${JSON.stringify(e.params.allowedValues)}`;
    if (e.keyword === 'const') return `${file}: ${at} must be ${JSON.stringify(e.params.allowedValue)}`;
    return `${file}: ${at} ${e.message ?? 'is invalid'}`;
  });
  return [...new Set(lines)].join('\n');
}

// Throws a ConfigError listing every problem when `value` does not match.
export function checkSchema<T>(schema: JsonSchema, value: unknown, file: string): T {
  const check = compileSchema(schema);
  if (!check(value)) throw new ConfigError(describeSchemaErrors(file, check.errors ?? [], schema));
  return value as T;
}
