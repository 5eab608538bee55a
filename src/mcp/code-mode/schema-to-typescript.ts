/** How deep a schema is followed before its type is written `unknown` (hostile or recursive schemas stay bounded). */
const MAX_DEPTH = 6;
/** Properties of one object, enum members of one enum, written at most. */
const MAX_MEMBERS = 100;
const MAX_DOC_CHARS = 600;

type Schema = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property or method name as TypeScript accepts it: bare when an identifier, quoted otherwise. */
export function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : JSON.stringify(name);
}

/** Text safe inside a `/** … *\/` comment, on one line, bounded. */
export function docText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim().replaceAll('*/', '*\\/');
  return flat.length > MAX_DOC_CHARS ? `${flat.slice(0, MAX_DOC_CHARS)}…` : flat;
}

/** A schema's notes beyond its type (format, range, default), as doc-comment text. */
function notes(schema: Schema): string {
  const parts: string[] = [];
  if (typeof schema.description === 'string' && schema.description.length > 0) parts.push(docText(schema.description));
  if (typeof schema.format === 'string') parts.push(`Format: ${docText(schema.format)}.`);
  const range = (['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern'] as const).filter((key) => schema[key] !== undefined).map((key) => `${key} ${docText(String(schema[key]))}`);
  if (range.length > 0) parts.push(`(${range.join(', ')})`);
  if (schema.default !== undefined) parts.push(`Default: ${docText(JSON.stringify(schema.default) ?? '')}.`);
  return parts.join(' ');
}

/**
 * The TypeScript type of a JSON Schema (the subset tool input schemas use: types, enums, consts,
 * objects with required and optional properties, arrays, unions, intersections, local `$ref`s),
 * with each property's description, format, range and default as a doc comment. Anything it does
 * not model is `unknown`, so the declaration never claims more than the schema says.
 */
export function schemaToType(schema: unknown, indent: string, root: Schema = (schema as Schema) ?? {}, depth = 0): string {
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema) || depth > MAX_DEPTH) return 'unknown';
  const node = schema as Schema;
  if (typeof node.$ref === 'string') return schemaToType(resolveRef(root, node.$ref), indent, root, depth + 1);
  if (node.const !== undefined) return literal(node.const);
  if (Array.isArray(node.enum)) return node.enum.length === 0 ? 'never' : node.enum.slice(0, MAX_MEMBERS).map(literal).join(' | ');
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = node[key];
    if (Array.isArray(options) && options.length > 0) return options.slice(0, MAX_MEMBERS).map((option) => wrap(schemaToType(option, indent, root, depth + 1))).join(' | ');
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) return node.allOf.slice(0, MAX_MEMBERS).map((part) => wrap(schemaToType(part, indent, root, depth + 1))).join(' & ');
  const type = node.type;
  if (Array.isArray(type)) return type.map((one) => wrap(schemaToType({ ...node, type: one }, indent, root, depth + 1))).join(' | ');
  switch (type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const items = node.items;
      if (Array.isArray(items)) return `[${items.map((item) => schemaToType(item, indent, root, depth + 1)).join(', ')}]`;
      return `${wrap(schemaToType(items, indent, root, depth + 1))}[]`;
    }
    case 'object':
      return objectType(node, indent, root, depth);
    default:
      return node.properties !== undefined ? objectType(node, indent, root, depth) : 'unknown';
  }
}

function objectType(node: Schema, indent: string, root: Schema, depth: number): string {
  const properties = node.properties !== null && typeof node.properties === 'object' ? (node.properties as Record<string, unknown>) : {};
  const required = new Set(Array.isArray(node.required) ? node.required.filter((name): name is string => typeof name === 'string') : []);
  const names = Object.keys(properties).slice(0, MAX_MEMBERS);
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const name of names) {
    const property = properties[name];
    const doc = property !== null && typeof property === 'object' ? notes(property as Schema) : '';
    if (doc.length > 0) lines.push(`${inner}/** ${doc} */`);
    lines.push(`${inner}${propertyName(name)}${required.has(name) ? '' : '?'}: ${schemaToType(property, inner, root, depth + 1)};`);
  }
  const extra = node.additionalProperties;
  if (extra !== undefined && extra !== false && names.length === 0) return `Record<string, ${extra === true ? 'unknown' : schemaToType(extra, indent, root, depth + 1)}>`;
  if (extra !== undefined && extra !== false) lines.push(`${inner}[key: string]: unknown;`);
  if (lines.length === 0) return '{}';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function resolveRef(root: Schema, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const segment of ref.slice(2).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Schema)[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
}

function literal(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? JSON.stringify(value) : 'unknown';
}

function wrap(type: string): string {
  return /^[A-Za-z0-9_$[\]"'.-]+$/.test(type) || type.startsWith('{') ? type : `(${type})`;
}

export { notes as schemaNotes };
