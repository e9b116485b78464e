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
  /** The schema of a form body (the OAuth token endpoint's): such a route answers errors as RFC 6749 §5.2 does. */
  readonly formSchema?: Schema;
}

const FORM = 'application/x-www-form-urlencoded';

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
        formSchema: operation.requestBody?.content[FORM]?.schema,
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
/**
 * Stand-ins for a live service client's credentials, put in place by the sender: in a form body as they are (the
 * stand-ins need no encoding), and as the base64 of an HTTP Basic header.
 */
export const LIVE_CLIENT_ID = 'fuzz-live-client-id';
export const LIVE_CLIENT_SECRET = 'fuzz-live-client-secret';
export const LIVE_CLIENT_BASIC = '<live client basic credentials>';

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

/** A body, and (a token request with the live client's credentials) the Authorization header that goes with it. */
type Payload = { contentType?: string; body?: Buffer; authorization?: string };

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

/** A form's pairs, percent-encoded as a client would, names and values alike. */
const formText = (pairs: [string, string][]) =>
  pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&');

/**
 * Bodies for a route that takes a form (the token endpoint): well-formed requests with the live client's
 * credentials and one thing wrong, hostile pairs, repeated and numberless parameters, text that is not a form or
 * not UTF-8, sizes around and past the limit, and the right pairs under the wrong content types.
 */
function formPayload(): fc.Arbitrary<Payload> {
  const name = fc.oneof(
    { arbitrary: fc.constantFrom('grant_type', 'scope', 'client_id', 'client_secret'), weight: 4 },
    {
      arbitrary: fc.constantFrom('__proto__', 'constructor', 'a[b]', 'scope[]', '', '%', '&', '='),
      weight: 1,
    },
    { arbitrary: hostileString.map((s) => s.slice(0, 100)), weight: 1 },
  );
  const value = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'client_credentials',
        'password',
        '',
        LIVE_CLIENT_ID,
        LIVE_CLIENT_SECRET,
        'notes:read',
        'notes:read notes:write',
        'profile:read',
        'notes:read  notes:write',
        'gcl_AAAAAAAAAAAAAAAAAAAAAA',
      ),
      weight: 3,
    },
    { arbitrary: hostileString.map((s) => s.slice(0, 4_000)), weight: 2 },
  );
  const pairs = fc.array(fc.tuple(name, value), { maxLength: 8 });
  // A request that authenticates, by Basic or in the body, mostly with nothing else wrong.
  const live: fc.Arbitrary<{ pairs: [string, string][]; authorization?: string }> = fc
    .tuple(
      fc.boolean(),
      fc.option(fc.constantFrom('notes:read', 'notes:read notes:write', '', 'profile:read', 'x:y'), {
        nil: undefined,
      }),
      fc.oneof(
        { arbitrary: fc.constant<[string, string][]>([]), weight: 3 },
        { arbitrary: fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 2 }), weight: 1 },
      ),
    )
    .map(([byBasic, scope, extra]) => ({
      pairs: [
        ['grant_type', 'client_credentials'],
        ...((byBasic
          ? []
          : [
              ['client_id', LIVE_CLIENT_ID],
              ['client_secret', LIVE_CLIENT_SECRET],
            ]) as [string, string][]),
        ...(scope === undefined ? [] : ([['scope', scope]] as [string, string][])),
        ...extra,
      ],
      authorization: byBasic ? `Basic ${LIVE_CLIENT_BASIC}` : undefined,
    }));
  const asForm = (contentType: fc.Arbitrary<string>, text: fc.Arbitrary<string | Buffer>) =>
    fc.tuple(contentType, text).map(([type, body]) => ({
      contentType: type,
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    }));
  const formType = fc.constantFrom(
    FORM,
    `${FORM}; charset=UTF-8`,
    'APPLICATION/X-WWW-FORM-URLENCODED',
    `${FORM}; charset=iso-8859-1`,
    `${FORM};;;`,
  );
  const raw = fc.oneof(
    fc.constantFrom(
      '%',
      '%%',
      '%zz=1',
      'grant_type=%FF%FE',
      'grant_type=client_credentials&scope=%ED%A0%80',
      '&&&=&',
      '=',
      'grant_type',
      'grant_type=client_credentials;scope=x',
      '+++=+++',
      `grant_type=client_credentials&client_id=${LIVE_CLIENT_ID}&client_secret=${LIVE_CLIENT_SECRET}&scope=%00`,
    ),
    fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
  );
  const sized = fc
    .tuple(fc.constantFrom(1_000, 50_000, 99_000, 200_000), fc.constantFrom('scope', 'client_secret', 'p'))
    .map(([n, key]) => `grant_type=client_credentials&${key}=${'a'.repeat(n)}`);
  const many = fc
    .tuple(fc.constantFrom(100, 5_000), fc.boolean())
    .map(([n, same]) => Array.from({ length: n }, (_, i) => (same ? 'scope=x' : `p${i}=x`)).join('&'));
  const elsewhere = fc
    .tuple(
      fc.constantFrom(
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/xml',
        ';;;',
      ),
      live,
    )
    .map(([contentType, { pairs: request, authorization }]) => ({
      contentType,
      authorization,
      body: Buffer.from(
        contentType === 'application/json' ? JSON.stringify(Object.fromEntries(request)) : formText(request),
        'utf8',
      ),
    }));
  const liveForm = fc.tuple(formType, live).map(([contentType, { pairs: request, authorization }]) => ({
    contentType,
    authorization,
    body: Buffer.from(formText(request), 'utf8'),
  }));
  return fc.oneof(
    { arbitrary: liveForm, weight: 5 },
    { arbitrary: asForm(formType, pairs.map(formText)), weight: 3 },
    { arbitrary: asForm(formType, raw), weight: 2 },
    { arbitrary: asForm(formType, fc.oneof(sized, many)), weight: 1 },
    { arbitrary: elsewhere, weight: 2 },
    { arbitrary: fc.constant({}), weight: 1 },
  );
}

/** Client authentication as the token endpoint may be sent it: Basic with the live client, or broken. */
const clientAuthorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constant(`Basic ${LIVE_CLIENT_BASIC}`), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      'Basic',
      'Basic ',
      'Basic !!!',
      'Basic Zm9v',
      'Basic Zm9vOmJhcg==',
      'Basic QR==',
      'Basic /w==',
      `Basic ${Buffer.from('%zz:%').toString('base64')}`,
      `Basic ${Buffer.from(`${LIVE_CLIENT_ID}:${'s'.repeat(8_000)}`).toString('base64')}`,
      `basic ${Buffer.from('gcl_AAAAAAAAAAAAAAAAAAAAAA:x').toString('base64')}`,
    ),
    weight: 2,
  },
  {
    arbitrary: hostileString.map((s) => `Basic ${Buffer.from(s.slice(0, 4_000)).toString('base64')}`),
    weight: 1,
  },
);

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
  const body = operation.formSchema ? formPayload() : payload(operation, schemas);
  const credentials = operation.formSchema ? fc.oneof(clientAuthorization, authorization) : authorization;
  // Half the requests come from a signed-in client that gets only the body or the path wrong, so that the
  // generated input reaches the handlers; the other half are hostile in every part at once.
  const signedIn = fc.record({
    path,
    query: fc.constant(''),
    // A token request's payload brings its own client authentication.
    authorization: fc.constant<string | undefined>(
      operation.formSchema ? undefined : `Bearer ${LIVE_BEARER}`,
    ),
    cookie: fc.constantFrom<string | undefined>(undefined, `refresh_token=${LIVE_COOKIE}`),
    origin: fc.constant<Record<string, string>>({}),
    extraHeaders: fc.constant<Record<string, string>>({}),
    payload: body,
  });
  const hostile = fc.record({
    path,
    query: queryString(operation, schemas),
    authorization: credentials,
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
        const authorizationHeader = auth ?? sent.authorization;
        if (authorizationHeader !== undefined) headers.authorization = headerSafe(authorizationHeader);
        if (c !== undefined) headers.cookie = headerSafe(c);
        if (sent.contentType) headers['content-type'] = sent.contentType;
        return { method: operation.method, path: `${p}${query}`, headers, body: sent.body };
      },
    );
}
