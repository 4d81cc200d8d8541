import Link from 'next/link';

export default function SettingsLayout({ children }: { children: React.ReactNode }) {
  return (
    <div className="mx-auto max-w-3xl space-y-6 p-4 pb-24 md:p-8">
      {/* In a landmark, as everything on the page, so screen-reader users find it by region. */}
      <nav aria-label="Back">
        <Link href="/" className="text-sm underline underline-offset-2">
          ← Back to chat
        </Link>
      </nav>
      {children}
    </div>
  );
}
