import { describe, expect, it } from 'vitest';
import { parseMarkdown, parseInline } from '@/lib/markdown/parse';

describe('markdown', () => {
  it('parses code blocks, headings, lists, quotes and paragraphs', () => {
    const blocks = parseMarkdown('# Plan\n\nFirst line\nsecond line\n\n- one\n- **two**\n\n1. a\n2. b\n\n> quoted\n\n```ts\nconst x = 1;\n```');
    expect(blocks.map((b) => b.type)).toEqual(['heading', 'paragraph', 'list', 'list', 'quote', 'code']);
    expect(blocks[2]).toEqual({ type: 'list', ordered: false, items: [[{ type: 'text', text: 'one' }], [{ type: 'strong', children: [{ type: 'text', text: 'two' }] }]] });
    expect(blocks[3]).toMatchObject({ type: 'list', ordered: true });
    expect(blocks[5]).toEqual({ type: 'code', lang: 'ts', text: 'const x = 1;' });
  });

  it('keeps an unclosed code fence (a reply still streaming) as code', () => {
    expect(parseMarkdown('Here:\n```python\nprint(1)')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: 'Here:' }] },
      { type: 'code', lang: 'python', text: 'print(1)' },
    ]);
  });

  it('parses inline code, emphasis and safe links only', () => {
    expect(parseInline('Use `npm test`, *carefully*, see [docs](https://example.com/a).')).toEqual([
      { type: 'text', text: 'Use ' },
      { type: 'code', text: 'npm test' },
      { type: 'text', text: ', ' },
      { type: 'em', children: [{ type: 'text', text: 'carefully' }] },
      { type: 'text', text: ', see ' },
      { type: 'link', href: 'https://example.com/a', children: [{ type: 'text', text: 'docs' }] },
      { type: 'text', text: '.' },
    ]);
    expect(parseInline('[click](javascript:alert(1))')).toEqual([{ type: 'text', text: '[click](javascript:alert(1)' }, { type: 'text', text: ')' }]);
  });

  it('leaves raw HTML as text', () => {
    expect(parseMarkdown('<img src=x onerror=alert(1)> <script>alert(1)</script>')).toEqual([
      { type: 'paragraph', children: [{ type: 'text', text: '<img src=x onerror=alert(1)> <script>alert(1)</script>' }] },
    ]);
  });
});

describe('markdown underscores', () => {
  it('leaves snake_case and environment variable names alone', () => {
    expect(parseInline('set ANTHROPIC_API_KEY and my_var, but _this_ is emphasis')).toEqual([
      { type: 'text', text: 'set ANTHROPIC_API_KEY and my_var, but ' },
      { type: 'em', children: [{ type: 'text', text: 'this' }] },
      { type: 'text', text: ' is emphasis' },
    ]);
  });
});
