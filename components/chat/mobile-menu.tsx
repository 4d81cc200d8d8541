'use client';

import { useRef, type MouseEvent, type ReactNode } from 'react';

/** The sidebar on a phone: a drop-down that closes once a chat (or any link) is picked. */
export function MobileMenu({ children }: { children: ReactNode }) {
  const menu = useRef<HTMLDetailsElement>(null);
  function closeOnLink(event: MouseEvent) {
    if (menu.current && (event.target as Element).closest('a')) menu.current.open = false;
  }
  return (
    <details ref={menu} onClick={closeOnLink} className="border-b border-neutral-200 md:hidden dark:border-neutral-800" data-testid="mobile-menu">
      <summary className="cursor-pointer px-4 py-3 font-semibold">Engram · chats</summary>
      {children}
    </details>
  );
}
