import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelNames } from '../../../src/transport/ollama/models.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/ollama/${name}`, import.meta.url), 'utf8'));

describe('Ollama model lists', () => {
  it('reads the names of /api/tags and /api/ps answers', () => {
    expect(modelNames(fixture('tags.json'))).toEqual(['llama3.2:1b', 'qwen3:8b']);
    expect(modelNames(fixture('ps.json'))).toEqual(['llama3.2:1b']);
  });

  it('falls back to `model` and skips entries without a name', () => {
    expect(modelNames({ models: [{ model: 'a:latest' }, { size: 1 }, null] })).toEqual(['a:latest']);
    expect(modelNames({ error: 'x' })).toEqual([]);
  });
});
