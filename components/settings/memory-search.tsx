'use client';

import Form from 'next/form';

/**
 * Search and sort of the memory page, as a GET form: the address keeps them, Back undoes them.
 * Choosing a sort applies it at once; the search applies on Enter or Search.
 */
export function MemorySearch({ query, sort, sorts }: { query: string; sort: string; sorts: Record<string, string> }) {
  return (
    <Form role="search" className="flex flex-wrap gap-2" action="/settings/memory">
      <label htmlFor="q" className="sr-only">
        Search memories
      </label>
      <input
        id="q"
        name="q"
        type="search"
        defaultValue={query}
        placeholder="Search by meaning or words"
        data-testid="memory-search"
        className="min-h-9 min-w-0 flex-1 rounded-lg border border-neutral-300 bg-white px-3 py-1.5 dark:border-neutral-700 dark:bg-neutral-900"
      />
      <label htmlFor="sort" className="sr-only">
        Sort by
      </label>
      <select
        id="sort"
        name="sort"
        // A new key when the choices change (a search adds "Best match"), so the default shows.
        key={Object.keys(sorts).join()}
        defaultValue={sort}
        onChange={(e) => e.currentTarget.form?.requestSubmit()}
        data-testid="memory-sort"
        className="min-h-9 rounded-lg border border-neutral-300 bg-white px-2 dark:border-neutral-700 dark:bg-neutral-900"
      >
        {Object.entries(sorts).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      <button
        type="submit"
        data-testid="memory-search-submit"
        className="min-h-9 rounded-lg border border-neutral-300 px-3 py-1.5 text-sm hover:bg-neutral-100 dark:border-neutral-700 dark:hover:bg-neutral-800"
      >
        Search
      </button>
    </Form>
  );
}
