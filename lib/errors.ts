/**
 * An error as one log line: its message, without the stack. Failures the app expects and
 * handles (a vendor's 500, a dropped connection) are logged this way; the stack would only bury
 * the line that says what happened.
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
