import fc from 'fast-check';
import { edgeString, hostileString } from './hostile-values';
import { toJsonText } from './json-text';
import { Schema, SchemaArbitraries } from './schema-arbitraries';

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: Record<string, string[]>[];
}

/** The slice of an OpenAPI document this harness reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  /** `POST /api/auth/login`, as a report names it. */
  readonly key: string;
  readonly method: string;
  readonly pathTemplate: string;
  readonly parameters: Parameter[];
  readonly bodySchema?: Schema;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([pathTemplate, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${pathTemplate}`,
        method: method.toUpperCase(),
        pathTemplate,
        parameters: operation.parameters ?? [],
        bodySchema: operation.requestBody?.content['application/json']?.schema,
      })),
  );
}

/**
 * Stand-ins for the live credentials, which change while the fuzzer runs (a refresh rotates the cookie, logout-all
 * revokes the token): the sender puts the current ones in their place, and a failure report shows which was sent.
 */
export const LIVE_BEARER = '<live access token>';
export const LIVE_COOKIE = '<live refresh cookie>';
/** The METRICS_TOKEN the fuzzed app is started with, so that `GET /api/metrics` is reached too. */
export const FUZZ_METRICS_TOKEN = 'fuzz-metrics-token-0123456789abcdef0123';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** What a header value may hold on the wire: Node refuses the rest before sending. */
function headerSafe(value: string): string {
  const latin1 = Buffer.from(value, 'utf8').toString('latin1');
  // Control characters other than tab, CR and LF above all: Node throws on them.
  return [...latin1].map((c) => (c === '\t' || (c >= ' ' && c !== '\u007f') ? c : '?')).join('');
}

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included (`encodeURIComponent` throws on those). */
export function percentEncode(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** A path or query value a client could put on the wire: encoded, or raw where raw bytes are legal. */
const pathValue = (valid: fc.Arbitrary<string>, knownIds: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: valid.map(percentEncode), weight: 3 },
    ...(knownIds.length ? [{ arbitrary: fc.constantFrom(...knownIds), weight: 2 }] : []),
    { arbitrary: hostileString.map((s) => percentEncode(s.slice(0, 4_000))), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '',
        '%',
        '%zz',
        '%00',
        '%C0%AF',
        '..',
        '.%2e',
        '%2e%2e%2f',
        ';x=1',
        "'",
        '*',
        '+',
        '%ED%A0%80',
      ),
      weight: 2,
    },
    { arbitrary: fc.constantFrom(4_000, 70_000).map((n) => 'a'.repeat(n)), weight: 1 },
  );

function queryString(operation: Operation, schemas: SchemaArbitraries): fc.Arbitrary<string> {
  const declared = operation.parameters.filter((p) => p.in === 'query');
  const declaredPairs = declared.length
    ? fc
        .array(
          fc.tuple(
            fc.constantFrom(...declared.map((p) => p.name)),
            fc.oneof(
              fc.constantFrom(...declared).chain((p) => schemas.valid(p.schema ?? {}).map(String)),
              fc.constantFrom(
                '-1',
                '0',
                '1e3',
                '1.5',
                'NaN',
                'Infinity',
                '99999999999999999999',
                '',
                '[]',
                'true',
              ),
              hostileString,
            ),
          ),
          { maxLength: 4 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}=${percentEncode(v.slice(0, 2_000))}`))
    : fc.constant([] as string[]);
  const strayPairs = fc.array(
    fc.constantFrom(
      '__proto__[admin]=1',
      'constructor[prototype][x]=1',
      'a[b][c][d]=1',
      'limit[]=1',
      '&&&',
      '=',
      'x',
      `q=${'z'.repeat(10_000)}`,
      'code=x&state=%00',
      'error=access_denied&error_description=%3Cb%3E',
    ),
    { maxLength: 3 },
  );
  return fc.tuple(declaredPairs, strayPairs).map(([a, b]) => {
    const pairs = [...a, ...b];
    return pairs.length ? `?${pairs.join('&')}` : '';
  });
}

const FORGED_JWT =
  'eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJyb2xlcyI6WyJhZG1pbiJdfQ.';

const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constant(`Bearer ${LIVE_BEARER}`), weight: 4 },
  { arbitrary: fc.constant(`Bearer ${FUZZ_METRICS_TOKEN}`), weight: 1 },
  { arbitrary: fc.constant(`Bearer ${'A'.repeat(10_240)}`), weight: 1 },
  { arbitrary: fc.constant('x'.repeat(10_240)), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      `Bearer ${FORGED_JWT}`,
      'Bearer',
      'Bearer ',
      'Basic Zm9vOmJhcg==',
      'bearer a.b.c',
      'Bearer ..',
    ),
    weight: 2,
  },
  { arbitrary: hostileString.map((s) => `Bearer ${s.slice(0, 8_000)}`), weight: 1 },
);

const cookie: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constant(`refresh_token=${LIVE_COOKIE}`), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      'refresh_token=nonsense',
      'refresh_token=',
      'refresh_token=%E0%A4%A',
      ';;=;==; refresh_token',
      `refresh_token=${'r'.repeat(8_000)}`,
      `a=${'b'.repeat(4_000)}; refresh_token=x.y.z; refresh_token=again`,
      `refresh_token=${FORGED_JWT}`,
      'oauth_tx=garbage; refresh_token="quoted"',
    ),
    weight: 2,
  },
  { arbitrary: hostileString.map((s) => `refresh_token=${s.slice(0, 4_000)}`), weight: 1 },
);

const origin: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  { arbitrary: fc.constant({ origin: 'https://evil.example' }), weight: 1 },
  { arbitrary: fc.constant({ origin: 'null' }), weight: 1 },
  { arbitrary: fc.constant({ 'sec-fetch-site': 'cross-site' }), weight: 1 },
  { arbitrary: edgeString.map((s) => ({ origin: headerSafe(s) })), weight: 1 },
);

type Payload = { contentType?: string; body?: Buffer };

function json(value: fc.Arbitrary<unknown>, contentType = 'application/json'): fc.Arbitrary<Payload> {
  return value.map((v) => ({ contentType, body: Buffer.from(toJsonText(v), 'utf8') }));
}

function payload(operation: Operation, schemas: SchemaArbitraries): fc.Arbitrary<Payload> {
  const malformed = fc
    .constantFrom(
      '{',
      '{"a":',
      '{"a":1,}',
      "{'a':1}",
      '{"a":1}{"b":2}',
      '\u0000',
      '{"a":"\\ud800"}',
      '{"a":1e999999}',
      'true false',
    )
    .map((text) => ({ contentType: 'application/json', body: Buffer.from(text, 'utf8') }));
  const oddContentType = fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=utf-16',
    'application/json; charset=nonsense',
    'application/vnd.api+json',
    'application/xml',
    ';;;',
  );
  const anyBody = fc.oneof(
    json(fc.jsonValue({ maxDepth: 3 })),
    json(SchemaArbitraries.notAnObject),
    malformed,
    fc.tuple(oddContentType, fc.jsonValue({ maxDepth: 2 })).map(([contentType, v]) => ({
      contentType,
      body: Buffer.from(
        contentType.startsWith('multipart')
          ? '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'
          : toJsonText(v),
      ),
    })),
    fc.constant({ contentType: 'application/json', body: Buffer.alloc(0) }),
    fc.constant({ contentType: 'application/json', body: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]) }),
  );
  if (!operation.bodySchema)
    return fc.oneof({ arbitrary: fc.constant({}), weight: 4 }, { arbitrary: anyBody, weight: 1 });
  const schema = operation.bodySchema;
  return fc.oneof(
    { arbitrary: json(schemas.valid(schema)), weight: 3 },
    { arbitrary: json(schemas.mutatedObject(schema)), weight: 5 },
    { arbitrary: anyBody, weight: 2 },
    {
      arbitrary: fc.tuple(oddContentType, schemas.valid(schema)).map(([contentType, v]) => ({
        contentType,
        body: Buffer.from(
          contentType === 'application/x-www-form-urlencoded'
            ? new URLSearchParams(
                Object.entries(v as object).map(([key, value]): [string, string] => [
                  key,
                  typeof value === 'string' ? value : JSON.stringify(value),
                ]),
              ).toString()
            : toJsonText(v),
        ),
      })),
      weight: 1,
    },
    { arbitrary: fc.constant({}), weight: 1 },
  );
}

/** Every request the harness may send to one operation: from its schema, around it, and against it. */
export function requestsFor(
  operation: Operation,
  schemas: SchemaArbitraries,
  knownIds: string[],
): fc.Arbitrary<FuzzRequest> {
  const pathParameters = operation.parameters.filter((p) => p.in === 'path');
  const path = fc
    .tuple(
      ...pathParameters.map((p) =>
        pathValue(
          p.name === 'provider'
            ? fc.constantFrom('github', 'oidc', 'GitHub', 'nope')
            : (schemas.valid(p.schema ?? { type: 'string', format: 'uuid' }) as fc.Arbitrary<string>).map(
                String,
              ),
          knownIds,
        ),
      ),
    )
    .map((values) =>
      pathParameters.reduce((p, param, i) => p.replace(`{${param.name}}`, values[i]), operation.pathTemplate),
    );
  const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
    { arbitrary: fc.constant({}), weight: 4 },
    {
      arbitrary: fc.constantFrom<Record<string, string>>(
        { 'x-forwarded-for': 'nonsense, ::ffff:1.2.3.4, 999.1.1.1' },
        { accept: 'text/html' },
        { 'accept-encoding': 'gzip;q=nonsense, br' },
        { 'user-agent': 'u'.repeat(8_000) },
        { 'content-encoding': 'gzip' },
        { 'transfer-encoding': 'chunked' },
        { 'x-http-method-override': 'DELETE' },
        { 'if-none-match': '*' },
      ),
      weight: 1,
    },
  );
  const body = payload(operation, schemas);
  // Half the requests come from a signed-in client that gets only the body or the path wrong, so that the
  // generated input reaches the handlers; the other half are hostile in every part at once.
  const signedIn = fc.record({
    path,
    query: fc.constant(''),
    authorization: fc.constant<string | undefined>(`Bearer ${LIVE_BEARER}`),
    cookie: fc.constantFrom<string | undefined>(undefined, `refresh_token=${LIVE_COOKIE}`),
    origin: fc.constant<Record<string, string>>({}),
    extraHeaders: fc.constant<Record<string, string>>({}),
    payload: body,
  });
  const hostile = fc.record({
    path,
    query: queryString(operation, schemas),
    authorization,
    cookie,
    origin,
    extraHeaders,
    payload: body,
  });
  return fc
    .oneof(signedIn, hostile)
    .map(
      ({ path: p, query, authorization: auth, cookie: c, origin: o, extraHeaders: extra, payload: sent }) => {
        const headers: Record<string, string> = { ...o, ...extra };
        if (auth !== undefined) headers.authorization = headerSafe(auth);
        if (c !== undefined) headers.cookie = headerSafe(c);
        if (sent.contentType) headers['content-type'] = sent.contentType;
        return { method: operation.method, path: `${p}${query}`, headers, body: sent.body };
      },
    );
}
