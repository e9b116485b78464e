import { safeReturnTo } from './return-to';

describe('safeReturnTo', () => {
  it('keeps a path with its query and fragment', () => {
    for (const path of ['/', '/notes', '/notes?x=1&y=2', '/a/b#section', '/%2F%2Fkept-as-text']) {
      expect(safeReturnTo(path)).toBe(path);
    }
  });

  it('turns anything that could leave APP_URL into /', () => {
    const hostile = [
      '//evil.com',
      '/\\evil.com',
      '\\\\evil.com',
      '\\evil',
      'https://evil.com',
      'javascript:alert(1)',
      'evil.com',
      '',
      ' /notes',
      '/notes\r\nSet-Cookie: x=1',
      '/\tevil',
      '/ok\u0000',
      '/ok\u0085',
      '/ok path',
      `/${'a'.repeat(3000)}`,
    ];
    for (const value of hostile) expect(safeReturnTo(value)).toBe('/');
  });

  it('percent-encodes what is beyond ASCII, so a Location header can carry it', () => {
    expect(safeReturnTo('/€')).toBe('/%E2%82%AC');
    expect(safeReturnTo('/café?q=naïve#ü')).toBe('/caf%C3%A9?q=na%C3%AFve#%C3%BC');
    expect(safeReturnTo(safeReturnTo('/日本'))).toBe(safeReturnTo('/日本'));
    expect(safeReturnTo('/\ud800')).toBe('/');
  });

  it('turns what is not a string into /', () => {
    for (const value of [undefined, null, 42, ['/notes'], { path: '/notes' }])
      expect(safeReturnTo(value)).toBe('/');
  });
});
