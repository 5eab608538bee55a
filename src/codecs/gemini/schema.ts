/**
 * JSON Schema → the OpenAPI 3.0 subset Gemini accepts in `functionDeclarations[].parameters` and
 * `generationConfig.responseSchema`. Gemini rejects the whole request on an unknown key
 * ("Invalid JSON payload received. Unknown name \"additionalProperties\""), so anything outside the
 * subset is dropped, and the common JSON Schema idioms are rewritten:
 * `type: [T, "null"]` → `type: T, nullable: true`; `const` → one-value `enum`; `oneOf` → `anyOf`;
 * `$ref` → the referenced definition inlined (recursion is cut off); `allOf` → merged.
 * Reference: https://ai.google.dev/api/caching#Schema
 */

type JsonObject = Record<string, unknown>;

const KEPT_AS_IS = new Set([
  'title',
  'description',
  'nullable',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'minimum',
  'maximum',
  'pattern',
  'example',
  'default',
  'propertyOrdering',
]);

/** Formats Gemini accepts, by type; others (`email`, `uri`, …) are rejected upstream, so dropped. */
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

/** How deep `$ref`s are followed before a recursive schema is cut off to a bare object. */
const MAX_REF_DEPTH = 8;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Cleans a whole schema (the root holds `$defs`/`definitions` for `$ref`s). */
export function toGeminiSchema(schema: JsonObject): JsonObject {
  return clean(schema, schema, 0);
}

/** True when a cleaned schema is an object without properties (Gemini wants `parameters` omitted then). */
export function isEmptyObjectSchema(schema: JsonObject): boolean {
  const properties = schema.properties;
  return (schema.type === undefined || schema.type === 'object') && (!isObject(properties) || Object.keys(properties).length === 0) && schema.anyOf === undefined;
}

function resolveReference(root: JsonObject, reference: string): JsonObject | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(reference);
  if (match === null) return undefined;
  const definitions = root[match[1]!];
  if (!isObject(definitions)) return undefined;
  const target = definitions[decodeURIComponent(match[2]!.replace(/~1/g, '/').replace(/~0/g, '~'))];
  return isObject(target) ? target : undefined;
}

function mergeAllOf(schema: JsonObject, members: unknown[]): JsonObject {
  const merged: JsonObject = { ...schema };
  delete merged.allOf;
  const properties: JsonObject = isObject(schema.properties) ? { ...schema.properties } : {};
  const required = new Set<string>(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  for (const member of members) {
    if (!isObject(member)) continue;
    for (const [key, value] of Object.entries(member)) {
      if (key === 'properties' && isObject(value)) Object.assign(properties, value);
      else if (key === 'required' && Array.isArray(value)) for (const name of value) if (typeof name === 'string') required.add(name);
      else if (!(key in merged)) merged[key] = value;
    }
  }
  if (Object.keys(properties).length > 0) merged.properties = properties;
  if (required.size > 0) merged.required = [...required];
  return merged;
}

function clean(input: JsonObject, root: JsonObject, depth: number): JsonObject {
  let schema = input;
  if (typeof schema.$ref === 'string') {
    const target = depth < MAX_REF_DEPTH ? resolveReference(root, schema.$ref) : undefined;
    if (target === undefined) return { type: 'object', ...(typeof schema.description === 'string' ? { description: schema.description } : {}) };
    const { $ref: _reference, ...siblings } = schema;
    schema = { ...target, ...siblings };
    depth++;
  }
  if (Array.isArray(schema.allOf)) schema = mergeAllOf(schema, schema.allOf);

  const output: JsonObject = {};
  let type: string | undefined;
  if (typeof schema.type === 'string') type = schema.type;
  else if (Array.isArray(schema.type)) {
    const types = schema.type.filter((entry): entry is string => typeof entry === 'string');
    const nonNull = types.filter((entry) => entry !== 'null');
    if (nonNull.length < types.length) output.nullable = true;
    if (nonNull.length === 1) type = nonNull[0];
    else if (nonNull.length > 1) output.anyOf = nonNull.map((entry) => clean({ ...schema, type: entry }, root, depth));
  }
  if (type === 'null') {
    type = undefined;
    output.nullable = true;
  }
  if (type !== undefined) output.type = type;

  for (const [key, value] of Object.entries(schema)) {
    if (KEPT_AS_IS.has(key)) output[key] = value;
  }

  if (schema.const !== undefined) {
    if (typeof schema.const === 'string') {
      output.enum = [schema.const];
      output.type ??= 'string';
    }
  } else if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((value) => value !== null);
    if (values.length > 0 && values.every((value) => typeof value === 'string')) output.enum = values;
    if (values.length < schema.enum.length) output.nullable = true;
  }

  if (typeof schema.format === 'string' && type !== undefined && FORMATS[type]?.has(schema.format)) output.format = schema.format;

  if (isObject(schema.properties)) {
    const properties: JsonObject = {};
    for (const [name, property] of Object.entries(schema.properties)) {
      if (isObject(property)) properties[name] = clean(property, root, depth);
      else if (property === true) properties[name] = {};
    }
    output.properties = properties;
    if (output.type === undefined && output.anyOf === undefined) output.type = 'object';
    if (Array.isArray(schema.required)) {
      const required = schema.required.filter((name): name is string => typeof name === 'string' && name in properties);
      if (required.length > 0) output.required = required;
    }
  }

  if (isObject(schema.items)) output.items = clean(schema.items, root, depth);
  else if (Array.isArray(schema.items) && isObject(schema.items[0])) output.items = clean(schema.items[0], root, depth);

  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (alternatives !== undefined) {
    const cleaned: JsonObject[] = [];
    for (const alternative of alternatives) {
      if (!isObject(alternative)) continue;
      // `{type: "null"}` alternatives become `nullable` on the whole schema, which Gemini understands.
      if (alternative.type === 'null' && Object.keys(alternative).length === 1) output.nullable = true;
      else cleaned.push(clean(alternative, root, depth));
    }
    if (cleaned.length === 1 && output.type === undefined) Object.assign(output, cleaned[0]);
    else if (cleaned.length > 0) output.anyOf = cleaned;
  }
  return output;
}
