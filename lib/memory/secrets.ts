/**
 * Messages that carry a secret are never kept as memory (no facts, no episode): API keys,
 * passwords given outright, payment card numbers, private keys. Pattern-detected, so it errs on
 * the side of forgetting a message that only looks like one.
 */
const SECRET_PATTERNS: RegExp[] = [
  // Vendor keys and tokens: sk-…, sk-ant-…, ghp_…, xoxb-…, AKIA…, AIza…
  /\b(?:sk|pk|rk)-(?:ant-|proj-|live_|test_)?[A-Za-z0-9_-]{16,}/,
  /\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{20,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{35}\b/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  // "password: hunter2", "my password is …", "pwd=…"
  /\b(?:password|passwd|pwd|passcode|pin)\b\s*(?:is|:|=)\s*\S+/i,
  /\b(?:api[_ -]?key|secret|token)\b\s*(?:is|:|=)\s*\S{8,}/i,
];

/** 13-19 digits, spaced or dashed in groups, that pass the Luhn check: a payment card number. */
function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(/\b(?:\d[ -]?){12,18}\d\b/g)) {
    const digits = match[0].replace(/\D/g, '');
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return true;
  }
  return false;
}

export function containsSecret(text: string): boolean {
  return SECRET_PATTERNS.some((pattern) => pattern.test(text)) || containsCardNumber(text);
}
