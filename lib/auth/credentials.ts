/** What sign-up and sign-in accept: a normalised email and a password that is not weak. */
import { z } from 'zod';

export const MIN_PASSWORD_LENGTH = 10;

// The passwords breach lists show first; length alone would let these through.
const COMMON_PASSWORDS = new Set([
  'password123', 'password1234', '1234567890', '12345678910', 'qwertyuiop', 'iloveyou12', 'passw0rd123',
  'abcdefghij', 'letmein123', 'welcome123', 'admin12345', '1q2w3e4r5t', 'qwerty1234', 'football12',
]);

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('Enter a valid email address.').max(254, 'That email address is too long.'));

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(200, 'Use at most 200 characters.')
  .refine((p) => !COMMON_PASSWORDS.has(p.toLowerCase()), 'That password is too common; choose another.')
  .refine((p) => new Set(p).size >= 4, 'That password is too repetitive; choose another.');

export const signUpSchema = z.object({ email: emailSchema, password: newPasswordSchema });
export const signInSchema = z.object({ email: emailSchema, password: z.string().min(1, 'Enter your password.').max(200) });

/** The first problem of each field, for a form to show beside it. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return errors;
}
