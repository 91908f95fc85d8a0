import { describe, expect, it } from 'vitest';
import { checkApiKey, checkHostUrl } from '../src/connection-flags.js';
import { redactUrl, redactUrlsIn } from '@swapbench/core';

describe('checkHostUrl', () => {
  it.each([
    'http://127.0.0.1:8080',
    'https://api.example.com/v1',
    'http://[::1]:8080/',
    'HTTP://LOCALHOST:8080',
    'http://host/prefix/path',
    '  http://127.0.0.1:8080  ',
  ])('accepts %s', (url) => {
    expect(checkHostUrl(url)).toBe(url.trim());
  });
});

describe('checkApiKey', () => {
  it('accepts printable ASCII keys', () => {
    expect(() => checkApiKey('sk-abc_DEF.123~+/=')).not.toThrow();
  });

  it('never puts the key in its message', () => {
    expect(() => checkApiKey('top-secret\n')).toThrow(/^--api-key: contains a line break \(character 11 of 11\)/);
    expect(() => checkApiKey('top-secret\n')).not.toThrow(/top-secret/);
  });
});

describe('redactUrl', () => {
  it.each([
    ['http://user:s3cret@host:8080/v1', 'http://***@host:8080/v1'],
    ['https://token@host', 'https://***@host'],
    ['http://host:8080/v1?api_key=abc&x=1#frag', 'http://host:8080/v1?api_key=***&x=***#frag'],
    // Does not parse: everything up to the last @ could be the password.
    ['http://u:pa/ss@host', 'http://***@host'],
    ['user:pw@host:80', '***@host:80'],
    // An @ in the path is not a credential.
    ['http://host/a@b', 'http://host/a@b'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['not a url', 'not a url'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('redacts every URL in a message', () => {
    expect(redactUrlsIn('cannot reach http://a:b@h:1/x: ECONNREFUSED (and https://k@z)')).toBe(
      'cannot reach http://***@h:1/x: ECONNREFUSED (and https://***@z)',
    );
  });
});
