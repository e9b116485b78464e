/**
 * Turns the OpenAPI document's component schemas into TypeScript interfaces: the client's wire types.
 * Pure and deterministic, so a test can regenerate the file from the live document and compare.
 */

interface SchemaObject {
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  description?: string;
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  allOf?: SchemaObject[];
  additionalProperties?: boolean | SchemaObject;
  $ref?: string;
}

export interface OpenApiDocument {
  components?: { schemas?: Record<string, SchemaObject> };
}

const HEADER = `// Generated from the OpenAPI document (GET /api/docs-json) by \`npm run client:types\`: do not edit by hand.
// test/browser.e2e-spec.ts fails when this file and the document disagree.
`;

function refName(ref: string): string {
  const prefix = '#/components/schemas/';
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  return ref.slice(prefix.length);
}

function literal(value: unknown): string {
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(value);
}

function union(parts: string[]): string {
  return [...new Set(parts)].join(' | ');
}

function typeOf(schema: SchemaObject, indent: string): string {
  let type: string;
  if (schema.$ref) type = refName(schema.$ref);
  else if (schema.enum) type = union(schema.enum.map(literal));
  else if (schema.oneOf ?? schema.anyOf)
    type = union((schema.oneOf ?? schema.anyOf)!.map((part) => typeOf(part, indent)));
  else if (schema.allOf) type = schema.allOf.map((part) => typeOf(part, indent)).join(' & ');
  else if (schema.type === 'array') {
    const item = typeOf(schema.items ?? {}, indent);
    type = /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
  } else if (schema.type === 'object' || schema.properties) type = objectType(schema, indent);
  else if (schema.type === 'string') type = 'string';
  else if (schema.type === 'number' || schema.type === 'integer') type = 'number';
  else if (schema.type === 'boolean') type = 'boolean';
  else type = 'unknown';
  return schema.nullable ? union([type, 'null']) : type;
}

function objectType(schema: SchemaObject, indent: string): string {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return 'Record<string, unknown>';
  return `{\n${members(schema, `${indent}  `)}${indent}}`;
}

function members(schema: SchemaObject, indent: string): string {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .map(([name, property]) => {
      const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : literal(name);
      const doc = property.description
        ? `${indent}/** ${property.description.replace(/\*\//g, '*\\/')} */\n`
        : '';
      const head = `${indent}${key}${required.has(name) ? '' : '?'}:`;
      return `${doc}${head}${wrapped(head, typeOf(property, indent), indent)};\n`;
    })
    .join('');
}

/** The project's line width (.prettierrc): the committed file must be what Prettier would write. */
const LINE_WIDTH = 110;

/**
 * ` <type>`, or a long one-line union laid out one member per line, as Prettier lays it out: an array of such a
 * union keeps `Array<` on the property's line and closes on a line of its own.
 */
function wrapped(head: string, type: string, indent: string): string {
  const oneLine = ` ${type}`;
  if (head.length + oneLine.length + 1 <= LINE_WIDTH || type.includes('\n') || !type.includes(' | ')) {
    return oneLine;
  }
  const arrayOf = /^Array<([^<>]*)>$/.exec(type)?.[1];
  const lines = (union: string) =>
    union
      .split(' | ')
      .map((part) => `\n${indent}  | ${part}`)
      .join('');
  return arrayOf === undefined ? lines(type) : ` Array<${lines(arrayOf)}\n${indent}>`;
}

/** The TypeScript source of every component schema, in the document's order. */
export function renderTypes(document: OpenApiDocument): string {
  const schemas = Object.entries(document.components?.schemas ?? {});
  const blocks = schemas.map(([name, schema]) =>
    schema.type === 'object' || schema.properties
      ? `export interface ${name} {\n${members(schema, '  ')}}\n`
      : `export type ${name} = ${typeOf(schema, '')};\n`,
  );
  return [HEADER, ...blocks].join('\n');
}
