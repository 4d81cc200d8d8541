import { createElement } from 'react';
import { renderToStaticMarkup, renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from '@/components/markdown';

const render = (source: string) => renderToStaticMarkup(createElement(Markdown, { source }));

describe('markdown', () => {
  it('renders headings below the page outline, paragraphs, lists, quotes and code blocks', () => {
    const html = render('# Plan\n\nFirst line\n\n- one\n- **two**\n\n1. a\n2. b\n\n> quoted\n\n```ts\nconst x = 1;\n```');
    expect(html).toContain('<p role="heading" aria-level="3" class="font-semibold">Plan</p>');
    expect(html).not.toContain('<h1');
    expect(html).toMatch(/<ul class="list-disc[^"]*">\s*<li>one<\/li>\s*<li><strong>two<\/strong><\/li>\s*<\/ul>/);
    expect(html).toMatch(/<ol class="list-decimal[^"]*">\s*<li>a<\/li>\s*<li>b<\/li>\s*<\/ol>/);
    expect(html).toMatch(/<blockquote[^>]*>\s*<p[^>]*>quoted<\/p>\s*<\/blockquote>/);
    expect(html).toMatch(/<pre[^>]*><code data-lang="ts"[^>]*>const x = 1;\n<\/code><\/pre>/);
  });

  it('renders nested lists and GitHub tables', () => {
    const html = render('- fruit\n  - apple\n  - pear\n- tea\n\n| Name | Age |\n| --- | --: |\n| Ana | 31 |');
    expect(html).toMatch(/<li>fruit\s*<ul[^>]*>\s*<li>apple<\/li>\s*<li>pear<\/li>\s*<\/ul>\s*<\/li>/);
    expect(html).toMatch(/<div class="max-w-full overflow-x-auto"><table[^>]*>/);
    expect(html).toMatch(/<th[^>]*>Name<\/th>/);
    expect(html).toMatch(/<td style="text-align:right"[^>]*>31<\/td>/);
  });

  it('keeps an unclosed code fence (a reply still streaming) as code', () => {
    expect(render('Here:\n```python\nprint(1)')).toMatch(/<p[^>]*>Here:<\/p>\s*<pre[^>]*><code data-lang="python"[^>]*>print\(1\)\n?<\/code><\/pre>/);
  });

  it('renders inline code, emphasis and safe links, opened apart from the page', () => {
    const html = render('Use `npm test`, *carefully*, see [docs](https://example.com/a).');
    expect(html).toContain('<code class="rounded');
    expect(html).toContain('>npm test</code>');
    expect(html).toContain('<em>carefully</em>');
    expect(html).toContain('<a href="https://example.com/a" target="_blank" rel="noopener noreferrer nofollow" class="underline underline-offset-2">docs</a>');
  });

  it('drops javascript:, data: and relative link targets, keeping the text', () => {
    for (const href of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', '/settings']) {
      const html = render(`[click](${href})`);
      expect(html, href).not.toContain('href');
      expect(html, href).toContain('click');
    }
  });

  it('shows raw HTML as text: a <script> in model output cannot run', () => {
    const html = render('<script>alert(1)</script>\n\nand <img src=x onerror=alert(1)> inline');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('and &lt;img src=x onerror=alert(1)&gt; inline');
    // As the server renders the page: one text, not pieces between React's <!-- --> markers.
    expect(renderToString(createElement(Markdown, { source: 'You said <script>alert(2)</script>' }))).toContain(
      'You said &lt;script&gt;alert(2)&lt;/script&gt;',
    );
  });

  it('shows an image as a link to it, never loading it', () => {
    const html = render('![a cat](https://example.com/cat.png) ![x](javascript:alert(1))');
    expect(html).not.toContain('<img');
    expect(html).toContain('<a href="https://example.com/cat.png" target="_blank" rel="noopener noreferrer nofollow" class="underline underline-offset-2">a cat</a>');
    expect(html).not.toContain('javascript:');
  });
});

describe('markdown underscores', () => {
  it('leaves snake_case and environment variable names alone', () => {
    expect(render('set ANTHROPIC_API_KEY and my_var, but _this_ is emphasis')).toContain(
      'set ANTHROPIC_API_KEY and my_var, but <em>this</em> is emphasis',
    );
  });
});
