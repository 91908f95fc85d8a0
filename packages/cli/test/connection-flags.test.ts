import { describe, expect, it } from 'vitest';
import { checkApiKey, checkHostUrl, collectHeader, parseHeaders, SERVER_KINDS } from '../src/connection-flags.js';
import { ConfigError } from '@swapbench/core/errors';
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

describe('collectHeader (--header, repeatable)', () => {
  it('collects Name: value pairs, trimming around the colon; the same name again replaces it', () => {
    let headers = collectHeader('X-Proxy-Token: abc');
    headers = collectHeader('cf-access-client-id:id-1', headers);
    headers = collectHeader('x-proxy-token:  def ', headers);
    expect(headers).toEqual({ 'cf-access-client-id': 'id-1', 'x-proxy-token': 'def' });
  });

  it('keeps a colon inside the value', () => {
    expect(collectHeader('X-Upstream: http://10.0.0.2:8080')).toEqual({ 'X-Upstream': 'http://10.0.0.2:8080' });
  });

  it('refuses an argument without a name, naming the flag but never the value', () => {
    expect(() => collectHeader('secret-token')).toThrow(/^--header: expects 'Name: value'/);
    expect(() => collectHeader('secret-token')).not.toThrow(/secret-token/);
    expect(() => collectHeader(': value')).toThrow(/^--header: expects/);
  });

  it('refuses a bad name, and headers swapbench sets itself', () => {
    expect(() => collectHeader('Bad Name: x')).toThrow(/^--header "Bad Name": is not a valid header name/);
    expect(() => collectHeader('Content-Type: text/plain')).toThrow(/^--header "Content-Type": is set by swapbench itself/);
    expect(() => collectHeader('X-Request-Id: 1')).toThrow(/is set by swapbench itself/);
  });

  it('is a ConfigError (exit 2)', () => {
    const err = (() => {
      try {
        collectHeader('nope');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
  });
});

describe('SERVER_KINDS (--kind)', () => {
  it('accepts ollama and llama-router beside the llama kinds', () => {
    expect(SERVER_KINDS).toEqual(['auto', 'llama-swap', 'llama-server', 'llama-router', 'openai', 'ollama']);
  });
});

describe('parseHeaders (the values commander collected)', () => {
  it('gives the transport one record, or nothing when no --header was given', () => {
    expect(parseHeaders(undefined)).toBeUndefined();
    expect(parseHeaders([])).toBeUndefined();
    expect(parseHeaders(['X-A: 1', 'X-B: 2'])).toEqual({ 'X-A': '1', 'X-B': '2' });
  });

  it('names the flag of a bad one', () => {
    expect(() => parseHeaders(['X-A: 1', 'oops'])).toThrow(/^--header: expects/);
  });
});
