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
  const children: Nodes[] = [];
  for (const child of parent.children as Nodes[]) {
    if (child.type === 'html' && FLOW_PARENTS.has(parent.type)) {
      children.push({ type: 'paragraph', children: [{ type: 'text', value: child.value }], position: child.position });
      continue;
    }
    const node: Nodes = child.type === 'html' ? { type: 'text', value: child.value, position: child.position } : child;
    const previous = children.at(-1);
    // `<script>alert(1)</script>` is three nodes (tag, text, tag): joined, the page's HTML holds the
    // text as written rather than three pieces between React's <!-- --> markers.
    if (node.type === 'text' && previous?.type === 'text') previous.value += node.value;
    else children.push(node);
    if ('children' in node) rewrite(node);
  }
  parent.children = children as typeof parent.children;
}

/**
 * A remark plugin: `<script>` or `<img onerror>` in a reply is shown as the characters the model
 * wrote. (react-markdown alone would drop it silently, hiding part of what was said.)
 */
export function htmlAsText() {
  return (tree: Root) => rewrite(tree);
}
