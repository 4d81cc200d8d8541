/**
 * Renders a model reply's Markdown (GitHub-flavoured: tables, task lists, nested lists, fenced
 * code) as React elements through react-markdown. There is no HTML path at all: raw HTML in a
 * reply is shown as text, links are limited to http(s) and mailto, and images are shown as links
 * (a reply must not make the browser fetch a URL on its own).
 */
import type { ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { htmlAsText, safeHref } from '@/lib/markdown/safety';

const components: Components = {
  // Replies sit under the page's own headings: a reply's "# Plan" must not become another <h1>.
  h1: ({ children }) => <Heading level={3}>{children}</Heading>,
  h2: ({ children }) => <Heading level={4}>{children}</Heading>,
  h3: ({ children }) => <Heading level={5}>{children}</Heading>,
  h4: ({ children }) => <Heading level={6}>{children}</Heading>,
  h5: ({ children }) => <Heading level={6}>{children}</Heading>,
  h6: ({ children }) => <Heading level={6}>{children}</Heading>,
  p: ({ children }) => <p className="whitespace-pre-wrap">{children}</p>,
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow" className="underline underline-offset-2">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ src, alt }) =>
    typeof src === 'string' && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow" className="underline underline-offset-2">
        {alt || src}
      </a>
    ) : (
      <span>{alt}</span>
    ),
  ul: ({ children, className }) => <ul className={`list-disc space-y-1 pl-6 ${className ?? ''}`}>{children}</ul>,
  ol: ({ children, start }) => (
    <ol start={start} className="list-decimal space-y-1 pl-6">
      {children}
    </ol>
  ),
  blockquote: ({ children }) => (
    <blockquote className="border-l-4 border-neutral-300 pl-3 text-neutral-600 dark:border-neutral-700 dark:text-neutral-400">{children}</blockquote>
  ),
  pre: ({ children }) => (
    <pre className="overflow-x-auto rounded-lg bg-neutral-100 p-3 text-sm dark:bg-neutral-900 [&>code]:bg-transparent [&>code]:p-0">{children}</pre>
  ),
  code: ({ children, className }) => (
    <code
      data-lang={/language-([\w+-]+)/.exec(className ?? '')?.[1]}
      className="rounded bg-neutral-100 px-1 py-0.5 font-mono text-[0.9em] dark:bg-neutral-800"
    >
      {children}
    </code>
  ),
  // A wide table scrolls inside the bubble instead of making the page scroll sideways.
  table: ({ children }) => (
    <div className="max-w-full overflow-x-auto">
      <table className="border-collapse text-sm">{children}</table>
    </div>
  ),
  th: ({ children, style }) => (
    <th style={style} className="border border-neutral-300 px-2 py-1 text-left font-semibold dark:border-neutral-700">
      {children}
    </th>
  ),
  td: ({ children, style }) => (
    <td style={style} className="border border-neutral-300 px-2 py-1 dark:border-neutral-700">
      {children}
    </td>
  ),
};

function Heading({ level, children }: { level: number; children: ReactNode }) {
  return (
    <p role="heading" aria-level={level} className="font-semibold">
      {children}
    </p>
  );
}

export function Markdown({ source }: { source: string }) {
  return (
    <div className="space-y-3 break-words">
      <ReactMarkdown remarkPlugins={[remarkGfm, htmlAsText]} urlTransform={safeHref} components={components}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
