import { TokenEndpointError } from './token-endpoint-error';
import { isFormMediaType, parseTokenRequest } from './token-request';

const ID = 'gcl_AAAAAAAAAAAAAAAAAAAAAA';
const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I';
const basicOf = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
const post = { grant_type: 'client_credentials', client_id: ID, client_secret: SECRET };

/** The RFC 6749 error code and status a request is refused with. */
function refusal(form: unknown, authorization?: string): { error: string; status: number } {
  try {
    parseTokenRequest(form, authorization);
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    return { error: error.answer.error, status: error.getStatus() };
  }
  throw new Error('the request was accepted');
}

describe('parseTokenRequest', () => {
  it('reads client_secret_post', () => {
    expect(parseTokenRequest(post, undefined)).toEqual({
      clientId: ID,
      clientSecret: SECRET,
      authMethod: 'client_secret_post',
      scopes: undefined,
    });
  });

  it('reads client_secret_basic, form-urldecoding each half (RFC 6749 §2.3.1)', () => {
    const request = parseTokenRequest({ grant_type: 'client_credentials' }, basicOf('a%3Ab+c:s%25+t'));
    expect(request).toMatchObject({
      clientId: 'a:b c',
      clientSecret: 's% t',
      authMethod: 'client_secret_basic',
    });
    // The scheme is case-insensitive; a client_id in the body may name the same client.
    expect(
      parseTokenRequest(
        { grant_type: 'client_credentials', client_id: ID },
        basicOf(`${ID}:${SECRET}`).replace('Basic', 'bAsIc'),
      ),
    ).toMatchObject({ clientId: ID, clientSecret: SECRET });
  });

  it('treats a parameter without a value as omitted (RFC 6749 §3.2): scope= asks for every scope', () => {
    expect(parseTokenRequest({ ...post, scope: '' }, undefined).scopes).toBeUndefined();
    expect(refusal({ ...post, grant_type: '' })).toEqual({ error: 'invalid_request', status: 400 });
    expect(refusal({ ...post, client_secret: '' })).toEqual({ error: 'invalid_client', status: 401 });
  });

  it('reads the scopes asked for, each once, in order', () => {
    expect(parseTokenRequest({ ...post, scope: 'b:x a:y b:x' }, undefined).scopes).toEqual(['b:x', 'a:y']);
  });

  it.each([
    ['no body', undefined],
    ['no grant_type', { client_id: ID, client_secret: SECRET }],
    ['a body that is not a form', 'grant_type=client_credentials'],
    ['a list for a body', ['client_credentials']],
  ])('refuses %s: invalid_request', (_case, form) => {
    expect(refusal(form)).toEqual({ error: 'invalid_request', status: 400 });
  });

  it.each([
    'password',
    'authorization_code',
    'Client_Credentials',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
  ])('refuses grant_type=%s: unsupported_grant_type', (grantType) => {
    expect(refusal({ ...post, grant_type: grantType })).toEqual({
      error: 'unsupported_grant_type',
      status: 400,
    });
  });

  it.each(['grant_type', 'scope', 'client_id', 'client_secret', 'anything'])(
    'refuses %s repeated',
    (name) => {
      expect(refusal({ ...post, [name]: ['x', 'x'] })).toEqual({ error: 'invalid_request', status: 400 });
    },
  );

  it('checks repetition before anything else', () => {
    expect(refusal({ grant_type: ['password', 'password'] })).toEqual({
      error: 'invalid_request',
      status: 400,
    });
  });

  it('refuses two authentication methods, and a body client_id that contradicts Basic: invalid_request', () => {
    expect(refusal(post, basicOf(`${ID}:${SECRET}`))).toEqual({ error: 'invalid_request', status: 400 });
    expect(
      refusal({ grant_type: 'client_credentials', client_id: 'gcl_other' }, basicOf(`${ID}:${SECRET}`)),
    ).toEqual({ error: 'invalid_request', status: 400 });
  });

  it.each([
    ['no colon', basicOf('just-an-id')],
    ['bad base64', 'Basic !!!'],
    ['non-canonical base64', 'Basic QR=='],
    ['bytes that are not UTF-8', `Basic ${Buffer.from([0xff, 0x3a, 0x61]).toString('base64')}`],
    ['a broken percent-escape', basicOf('id%:secret')],
    ['nothing after the scheme', 'Basic'],
  ])('refuses Basic with %s: invalid_request', (_case, header) => {
    expect(refusal({ grant_type: 'client_credentials' }, header)).toEqual({
      error: 'invalid_request',
      status: 400,
    });
  });

  it.each([
    ['no authentication at all', { grant_type: 'client_credentials' }, undefined],
    ['a client_id alone (a public client)', { grant_type: 'client_credentials', client_id: ID }, undefined],
    ['a secret without an id', { grant_type: 'client_credentials', client_secret: SECRET }, undefined],
    ['another scheme', { grant_type: 'client_credentials' }, 'Bearer a.b.c'],
  ])('refuses %s: invalid_client (401)', (_case, form, authorization) => {
    expect(refusal(form, authorization)).toEqual({ error: 'invalid_client', status: 401 });
  });

  it('challenges with Basic on a 401, and keeps every error out of caches', () => {
    try {
      parseTokenRequest({ grant_type: 'client_credentials' }, undefined);
    } catch (error) {
      expect((error as TokenEndpointError).headers).toEqual({
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
        'WWW-Authenticate': 'Basic realm="gatehouse"',
      });
    }
    expect.assertions(1);
  });

  it.each(['a  b', ' a', 'a ', 'a\tb', 'notes:"read"', 'back\\slash', 'é'])(
    'refuses the malformed scope %p: invalid_scope',
    (scope) => {
      expect(refusal({ ...post, scope })).toEqual({ error: 'invalid_scope', status: 400 });
    },
  );

  it('tells a form media type, whatever its parameters and case', () => {
    expect(isFormMediaType('application/x-www-form-urlencoded')).toBe(true);
    expect(isFormMediaType('Application/X-WWW-Form-Urlencoded; charset=UTF-8')).toBe(true);
    expect(isFormMediaType('application/json')).toBe(false);
    expect(isFormMediaType('multipart/form-data; boundary=x')).toBe(false);
    expect(isFormMediaType(undefined)).toBe(false);
  });
});
