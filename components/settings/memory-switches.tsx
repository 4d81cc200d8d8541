'use client';

import { useState, useTransition, type ReactNode } from 'react';

interface Switches {
  memoryEnabled: boolean;
  referenceChats: boolean;
}

/**
 * The memory switches, each saved the moment it is toggled (no Save to forget), with a label that
 * says the state it is in and a status line that says when the change is stored.
 */
export function MemorySwitches({ initial, save }: { initial: Switches; save: (form: FormData) => Promise<void> }) {
  const [switches, setSwitches] = useState(initial);
  const [status, setStatus] = useState('');
  const [saving, startTransition] = useTransition();

  function toggle(change: Partial<Switches>) {
    const next = { ...switches, ...change };
    setSwitches(next);
    setStatus('Saving…');
    const form = new FormData();
    if (next.memoryEnabled) form.set('enabled', 'on');
    if (next.referenceChats) form.set('referenceChats', 'on');
    startTransition(async () => {
      try {
        await save(form);
        setStatus(`Saved: memory is ${next.memoryEnabled ? 'on' : 'off'}${next.referenceChats ? ', past chats referenced' : ', past chats not referenced'}.`);
      } catch {
        setSwitches(switches);
        setStatus('Not saved: the change could not be stored. Try again.');
      }
    });
  }

  return (
    <div className="flex flex-wrap items-center gap-x-6 gap-y-2">
      <Switch checked={switches.memoryEnabled} onChange={(memoryEnabled) => toggle({ memoryEnabled })} testId="memory-switch">
        Memory is {switches.memoryEnabled ? 'on' : 'off'}
      </Switch>
      <Switch checked={switches.referenceChats} onChange={(referenceChats) => toggle({ referenceChats })} testId="reference-chats-switch">
        Reference past chats
      </Switch>
      <p role="status" className="text-sm text-neutral-600 dark:text-neutral-400" data-testid="memory-switch-status" data-saving={saving || undefined}>
        {status}
      </p>
    </div>
  );
}

function Switch({ checked, onChange, testId, children }: { checked: boolean; onChange: (checked: boolean) => void; testId: string; children: ReactNode }) {
  return (
    <label className="flex min-h-6 items-center gap-2 font-medium">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testId} className="size-6" />
      {children}
    </label>
  );
}
