/**
 * Renders a model reply's Markdown as React elements. There is no HTML path at all: text goes
 * through React's escaping, and links are limited to http(s) and mailto.
 */
import { Fragment, type ReactNode } from 'react';
import { parseMarkdown, type Block, type Inline } from '@/lib/markdown/parse';

function renderInline(nodes: Inline[]): ReactNode {
  return nodes.map((node, i) => {
    switch (node.type) {
      case 'text':
        return <Fragment key={i}>{node.text}</Fragment>;
      case 'code':
        return (
          <code key={i} className="rounded bg-neutral-100 px-1 py-0.5 font-mono text-[0.9em] dark:bg-neutral-800">
            {node.text}
          </code>
        );
      case 'strong':
        return <strong key={i}>{renderInline(node.children)}</strong>;
      case 'em':
        return <em key={i}>{renderInline(node.children)}</em>;
      case 'link':
        return (
          <a key={i} href={node.href} target="_blank" rel="noopener noreferrer nofollow" className="underline underline-offset-2">
            {renderInline(node.children)}
          </a>
        );
    }
  });
}

function renderBlock(block: Block, key: number): ReactNode {
  switch (block.type) {
    case 'code':
      return (
        <pre key={key} className="overflow-x-auto rounded-lg bg-neutral-100 p-3 text-sm dark:bg-neutral-900">
          <code data-lang={block.lang || undefined}>{block.text}</code>
        </pre>
      );
    case 'heading':
      return (
        <p key={key} role="heading" aria-level={block.level + 2} className="font-semibold">
          {renderInline(block.children)}
        </p>
      );
    case 'list': {
      const List = block.ordered ? 'ol' : 'ul';
      return (
        <List key={key} className={`${block.ordered ? 'list-decimal' : 'list-disc'} space-y-1 pl-6`}>
          {block.items.map((item, i) => (
            <li key={i}>{renderInline(item)}</li>
          ))}
        </List>
      );
    }
    case 'quote':
      return (
        <blockquote key={key} className="border-l-4 border-neutral-300 pl-3 text-neutral-600 dark:border-neutral-700 dark:text-neutral-400">
          {renderInline(block.children)}
        </blockquote>
      );
    case 'paragraph':
      return (
        <p key={key} className="whitespace-pre-wrap">
          {renderInline(block.children)}
        </p>
      );
  }
}

export function Markdown({ source }: { source: string }) {
  return <div className="space-y-3 break-words">{parseMarkdown(source).map(renderBlock)}</div>;
}
