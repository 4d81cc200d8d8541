'use client';

import { useEffect, useState } from 'react';

/**
 * A polite live region for what the chat wants screen readers to hear ("Memory updated: …").
 * It lives in the chat layout, not in the chat view, so news outlives the view: picking or
 * starting a chat in the sidebar mounts a new one.
 */
const EVENT = 'engram:announce';

export function announce(text: string) {
  window.dispatchEvent(new CustomEvent<string>(EVENT, { detail: text }));
}

export function Announcer() {
  const [text, setText] = useState('');
  useEffect(() => {
    const listener = (event: Event) => setText((event as CustomEvent<string>).detail);
    window.addEventListener(EVENT, listener);
    return () => window.removeEventListener(EVENT, listener);
  }, []);
  return (
    <p role="status" className="sr-only" data-testid="chat-announcer">
      {text}
    </p>
  );
}
