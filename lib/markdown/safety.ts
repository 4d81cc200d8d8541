/**
 * What keeps a model reply's Markdown harmless on the page (components/markdown.tsx): raw HTML
 * becomes visible text instead of markup or nothing, and only web and mail links survive.
 */
import type { Nodes, Parents, Root } from 'mdast';

/** Only web and mail links: a `javascript:` or `data:` URL (or a relative one) is dropped. */
export function safeHref(href: string): string | null {
  try {
    const url = new URL(href);
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.toString() : null;
  } catch {
    return null;
  }
}

// Containers whose children are blocks: HTML there becomes a paragraph of its own.
const FLOW_PARENTS = new Set(['root', 'blockquote', 'listItem', 'footnoteDefinition']);

function rewrite(parent: Parents) {
  parent.children = parent.children.map((child: Nodes) => {
    if (child.type === 'html') {
      const text = { type: 'text' as const, value: child.value, position: child.position };
      return FLOW_PARENTS.has(parent.type) ? { type: 'paragraph' as const, children: [text], position: child.position } : text;
    }
    if ('children' in child) rewrite(child);
    return child;
  }) as typeof parent.children;
}

/**
 * A remark plugin: `<script>` or `<img onerror>` in a reply is shown as the characters the model
 * wrote. (react-markdown alone would drop it silently, hiding part of what was said.)
 */
export function htmlAsText() {
  return (tree: Root) => rewrite(tree);
}
