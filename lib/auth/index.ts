/**
 * Auth.js (next-auth v5) with JWT sessions. A visitor becomes a guest (an anonymous user row)
 * only when they act, never for a page view, so bots and drive-by visits create no rows.
 */
import 'server-only';
import NextAuth, { type DefaultSession } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { env } from '@/lib/env';
import { createAnonymousUser } from '@/lib/db/queries';
import { isUserId } from '@/lib/db/store';
import { getServices } from '@/lib/services';
import { addressOf, getRateLimits, limitNewGuest, signInClient, signInWithLimits } from '@/lib/rate-limit';
import { answeringRefusals, refuseSignIn, rememberDevice } from '@/lib/rate-limit/auth';
import { signInSchema } from './credentials';
import { endSessions, sessionVersionOf } from './session-version';
// Loaded for its types, so the JWT augmentation below has a module to extend.
import type {} from '@auth/core/jwt';

declare module 'next-auth' {
  interface Session {
    user: { id: string; isAnonymous: boolean; sessionVersion: number } & DefaultSession['user'];
  }
  interface User {
    isAnonymous?: boolean;
  }
}

declare module '@auth/core/jwt' {
  interface JWT {
    userId?: string;
    isAnonymous?: boolean;
    /** users.session_version when the session was issued (lib/auth/session-version.ts). */
    sessionVersion?: number;
  }
}

// The config is built per request so settings are read at run time, not during `next build`.
const { handlers: authJsHandlers, signIn, signOut } = NextAuth(() => ({
  secret: env().AUTH_SECRET,
  // Self-hosted behind a proxy: trust its forwarded host (Auth.js requires saying so).
  trustHost: true,
  session: { strategy: 'jwt' },
  providers: [
    Credentials({
      id: 'password',
      name: 'Email and password',
      credentials: { email: {}, password: {} },
      async authorize(credentials, request) {
        const parsed = signInSchema.safeParse(credentials);
        if (!parsed.success) return null;
        const [{ store }, limits] = await Promise.all([getServices(), getRateLimits()]);
        const outcome = await signInWithLimits(limits, store, parsed.data, signInClient(limits, request.headers));
        if (outcome.status === 'refused') refuseSignIn(outcome.refusal);
        if (outcome.status === 'wrong') return null;
        await rememberDevice(request, outcome.user.id, limits.secret);
        return { id: outcome.user.id, email: outcome.user.email, isAnonymous: false };
      },
    }),
    Credentials({
      id: 'guest',
      name: 'Guest',
      credentials: {},
      async authorize(_credentials, request) {
        const limits = await getRateLimits();
        const allowed = await limitNewGuest(limits, addressOf(limits, request.headers));
        if (!allowed.ok) refuseSignIn(allowed);
        const { store } = await getServices();
        // A new user has no id yet to act as.
        const user = await store.asSystem((tx) => createAnonymousUser(tx));
        return { id: user.id, isAnonymous: true };
      },
    }),
  ],
  callbacks: {
    async jwt({ token, user }) {
      if (user?.id) {
        const userId = user.id;
        token.userId = userId;
        token.isAnonymous = user.isAnonymous ?? false;
        // Read once, at sign-in: each request compares it on the user row it reads anyway.
        const { store } = await getServices();
        token.sessionVersion = (await store.readAsUser(userId, (tx) => sessionVersionOf(tx, userId))) ?? 0;
      }
      return token;
    },
    session({ session, token }) {
      if (token.userId) {
        session.user.id = token.userId;
        session.user.isAnonymous = token.isAnonymous ?? true;
        // A cookie issued before sessions had versions counts as the first version.
        session.user.sessionVersion = token.sessionVersion ?? 0;
      }
      return session;
    },
  },
  events: {
    // Every sign-out comes here (Auth.js's endpoint and server actions' signOut()) before the
    // cookie is cleared: a copy of the cookie kept elsewhere ends too. With one version per user,
    // so do the user's other sessions.
    async signOut(message) {
      const token = 'token' in message ? message.token : null;
      const userId = token?.userId;
      if (!userId || !isUserId(userId)) return;
      const { store } = await getServices();
      await store.asUser(userId, (tx) => endSessions(tx, userId, token.sessionVersion ?? 0));
    },
  },
}));

export { signIn, signOut };
/** Auth.js's routes; a sign-in refused for a rate limit answers 429 (Auth.js alone would redirect). */
export const handlers = answeringRefusals(authJsHandlers);
