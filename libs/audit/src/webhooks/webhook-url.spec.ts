import { webhookUrlProblem } from './webhook-url';

describe('webhookUrlProblem', () => {
  it.each([
    'https://hooks.example.com/gatehouse',
    'http://localhost:8080/hook?token=abc',
    'http://127.0.0.1:9000/',
    'https://[::1]:8443/x',
  ])('accepts %s outside production', (url) => {
    expect(webhookUrlProblem(url, false)).toBeUndefined();
  });

  it.each([
    ['hooks.example.com/x', 'absolute http or https URL'],
    ['/relative/path', 'absolute http or https URL'],
    ['ftp://example.com/x', 'absolute http or https URL'],
    ['javascript:alert(1)', 'absolute http or https URL'],
    ['http:example.com', 'absolute http or https URL'],
    ['https://', 'absolute http or https URL'],
    ['https://user:pass@example.com/x', 'user name or password'],
    ['https://user@example.com/x', 'user name or password'],
    ['https://example.com/a b', 'spaces or control characters'],
    [' https://example.com/x', 'spaces or control characters'],
    ['https://example.com/x\n', 'spaces or control characters'],
    [`https://example.com/${'a'.repeat(2048)}`, 'at most 2048 characters'],
  ])('refuses %j: %s', (url, problem) => {
    expect(webhookUrlProblem(url, false)).toContain(problem);
  });

  it('takes a URL of exactly 2048 characters', () => {
    const url = 'https://example.com/';
    expect(webhookUrlProblem(url + 'a'.repeat(2048 - url.length), false)).toBeUndefined();
  });

  it('wants https in production', () => {
    expect(webhookUrlProblem('http://hooks.example.com/x', true)).toBe(
      'url must use https (NODE_ENV=production)',
    );
    expect(webhookUrlProblem('https://hooks.example.com/x', true)).toBeUndefined();
  });
});
