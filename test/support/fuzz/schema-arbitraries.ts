import fc from 'fast-check';
import { anyJsonValue, deepNesting, hostileKey, hostileString } from './hostile-values';
import { RawJson, withOwnProperty } from './json-text';

/** The part of OpenAPI's schema object the app's document uses. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

const base64url = fc
  .base64String({ maxLength: 64 })
  .map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));

function validString(schema: Schema): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  switch (schema.format) {
    case 'email':
      return fc.emailAddress().filter((email) => email.length <= (schema.maxLength ?? 254));
    case 'password':
      return fc.string({ minLength: 15, maxLength: 40 });
    case 'uuid':
      return fc.uuid();
    case 'base64url':
      return base64url;
    case 'date-time':
      return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
    case 'uri':
      return fc.webUrl();
    default:
      return fc.string({ minLength: Math.min(schema.minLength ?? 0, maxLength), maxLength });
  }
}

/** Arbitraries for the values a schema describes, and for the values around it that a client could send instead. */
export class SchemaArbitraries {
  constructor(private readonly components: Record<string, Schema>) {}

  resolve(schema: Schema): Schema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = this.components[name];
    if (!target) throw new Error(`the document refers to a schema it does not define: ${schema.$ref}`);
    return this.resolve(target);
  }

  /** A value the schema allows (as far as its types, formats and required properties say). */
  valid(input: Schema): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const alternatives = schema.oneOf ?? schema.anyOf;
    let value: fc.Arbitrary<unknown>;
    if (alternatives) value = fc.oneof(...alternatives.map((s) => this.valid(s)));
    else if (schema.allOf) value = this.valid(Object.assign({}, ...schema.allOf.map((s) => this.resolve(s))));
    else if (schema.enum) value = fc.constantFrom(...schema.enum);
    else if (schema.type === 'object' || schema.properties) value = this.validObject(schema);
    else if (schema.type === 'array') value = fc.array(this.valid(schema.items ?? {}), { maxLength: 4 });
    else if (schema.type === 'string') value = validString(schema);
    else if (schema.type === 'integer')
      value = fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1000 });
    else if (schema.type === 'number')
      value = fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    else if (schema.type === 'boolean') value = fc.boolean();
    else value = fc.jsonValue({ maxDepth: 2 });
    if (schema.example !== undefined) value = fc.oneof(value, fc.constant(schema.example));
    return schema.nullable ? fc.option(value, { nil: null }) : value;
  }

  private validObject(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
    const properties = schema.properties ?? {};
    const model = Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, this.valid(s)]));
    return fc.record(model, { requiredKeys: schema.required ?? [] });
  }

  /**
   * A body built from the schema and then spoiled in one of the ways clients spoil bodies: a property of another
   * JSON type, a hostile string, deep nesting, a required property left out, an unknown or prototype-reaching key.
   */
  mutatedObject(input: Schema): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const keys = Object.keys(schema.properties ?? {});
    const valid = this.valid(schema).map((value) =>
      value !== null && typeof value === 'object' ? { ...value } : {},
    ) as fc.Arbitrary<Record<string, unknown>>;
    const replaced = (replacement: fc.Arbitrary<unknown>) =>
      fc
        .tuple(valid, fc.constantFrom(...(keys.length ? keys : ['value'])), replacement)
        .map(([body, key, value]) => withOwnProperty(body, key, value));
    const spoilers: fc.Arbitrary<unknown>[] = [
      replaced(anyJsonValue),
      replaced(hostileString),
      replaced(deepNesting),
      fc
        .tuple(valid, hostileKey, anyJsonValue)
        .map(([body, key, value]) => withOwnProperty(body, key, value)),
      fc
        .tuple(valid, fc.jsonValue({ maxDepth: 2 }))
        .map(([body, value]) => withOwnProperty(body, '__proto__', value ?? { admin: true })),
    ];
    if (keys.length) {
      spoilers.push(
        fc.tuple(valid, fc.constantFrom(...keys)).map(([body, key]) => {
          delete body[key];
          return body;
        }),
      );
    }
    const nested = keys.filter(
      (key) => this.resolve(schema.properties![key]).type === 'object' || schema.properties![key].$ref,
    );
    if (nested.length) {
      // Spoil one level down too: the passkey credential's `response` is where a parser is most likely to trust.
      spoilers.push(
        fc
          .tuple(valid, fc.constantFrom(...nested))
          .chain(([body, key]) =>
            this.mutatedObject(schema.properties![key]).map((inner) => withOwnProperty(body, key, inner)),
          ),
      );
    }
    return fc.oneof(...spoilers);
  }

  /** Whatever JSON is not an object at all. */
  static readonly notAnObject: fc.Arbitrary<unknown> = fc.oneof(
    fc.constant(null),
    fc.constant([]),
    fc.constant(new RawJson('""')),
    fc.integer(),
    fc.boolean(),
    hostileString,
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
    deepNesting,
  );
}
