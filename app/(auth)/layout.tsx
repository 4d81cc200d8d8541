import Link from 'next/link';

export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 p-6">
      <Link href="/" className="text-2xl font-semibold tracking-tight">
        Engram
      </Link>
      {children}
    </main>
  );
}
