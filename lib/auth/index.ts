/**
 * Auth.js (next-auth v5) with JWT sessions. A visitor becomes a guest (an anonymous user row)
 * only when they act, never for a page view, so bots and drive-by visits create no rows.
 */
import 'server-only';
import NextAuth, { type DefaultSession } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { env } from '@/lib/env';
import { createAnonymousUser } from '@/lib/db/queries';
import { getServices } from '@/lib/services';
import { checkCredentials } from './accounts';
import { signInSchema } from './credentials';
// Loaded for its types, so the JWT augmentation below has a module to extend.
import type {} from '@auth/core/jwt';

declare module 'next-auth' {
  interface Session {
    user: { id: string; isAnonymous: boolean } & DefaultSession['user'];
  }
  interface User {
    isAnonymous?: boolean;
  }
}

declare module '@auth/core/jwt' {
  interface JWT {
    userId?: string;
    isAnonymous?: boolean;
  }
}

// The config is built per request so settings are read at run time, not during `next build`.
export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  secret: env().AUTH_SECRET,
  // Self-hosted behind a proxy: trust its forwarded host (Auth.js requires saying so).
  trustHost: true,
  session: { strategy: 'jwt' },
  providers: [
    Credentials({
      id: 'password',
      name: 'Email and password',
      credentials: { email: {}, password: {} },
      async authorize(credentials) {
        const parsed = signInSchema.safeParse(credentials);
        if (!parsed.success) return null;
        const { store } = await getServices();
        const user = await checkCredentials(store, parsed.data.email, parsed.data.password);
        return user ? { id: user.id, email: user.email, isAnonymous: false } : null;
      },
    }),
    Credentials({
      id: 'guest',
      name: 'Guest',
      credentials: {},
      async authorize() {
        const { store } = await getServices();
        // A new user has no id yet to act as.
        const user = await store.asSystem((tx) => createAnonymousUser(tx));
        return { id: user.id, isAnonymous: true };
      },
    }),
  ],
  callbacks: {
    jwt({ token, user }) {
      if (user?.id) {
        token.userId = user.id;
        token.isAnonymous = user.isAnonymous ?? false;
      }
      return token;
    },
    session({ session, token }) {
      if (token.userId) {
        session.user.id = token.userId;
        session.user.isAnonymous = token.isAnonymous ?? true;
      }
      return session;
    },
  },
}));
