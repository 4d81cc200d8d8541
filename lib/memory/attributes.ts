/**
 * Single-valued attributes: where someone lives, their name, employer, job title, partner. A
 * person has one value of each at a time, so a new value supersedes the old one whatever the
 * embeddings say ("Lives in Berlin" and "Lives in Lyon" are close in meaning-space, and a
 * duplicate check would take one for the other). Facts are recognised by their wording, in the
 * canonical forms the extractors write ("Lives in X", "Name is X", "Works at X", "Works as a X",
 * "Partner is X") and the usual variants a model writes.
 *
 * Each pattern is a POSIX regular expression that means the same to JavaScript (flag i) and to
 * PostgreSQL (~*), so the writer can find a user's facts of an attribute in one query.
 */
export const SINGLE_VALUED_ATTRIBUTES = {
  residence: '^(lives|resides|is living|is based|has moved|moved|has relocated|relocated) (in|to) ',
  name: "^(name is|is named|is called|goes by|'s name is) ",
  employer: '^(works|is working|is employed|has a job) (at|for|with) ',
  job_title: '^(works as|is working as|is employed as|job title is|job is) ',
  partner: '^(partner is|is married to|wife is|husband is|girlfriend is|boyfriend is|is dating|is engaged to) ',
} as const;

export type Attribute = keyof typeof SINGLE_VALUED_ATTRIBUTES;

const compiled = Object.entries(SINGLE_VALUED_ATTRIBUTES).map(([name, pattern]) => [name as Attribute, new RegExp(pattern, 'i')] as const);

/** The single-valued attribute a fact states a value of, if any. */
export function attributeOf(factText: string): Attribute | null {
  const text = factText.trim();
  return compiled.find(([, pattern]) => pattern.test(text))?.[0] ?? null;
}

const normalize = (s: string) => s.toLowerCase().replace(/[.!\s]+$/, '').replace(/\s+/g, ' ').trim();

/** What a fact says the value is: "Berlin" for "Is based in Berlin" and for "Lives in Berlin". */
function valueOf(factText: string): string {
  const text = factText.trim();
  const pattern = compiled.find(([, p]) => p.test(text))?.[1];
  return normalize(pattern ? text.replace(pattern, '') : text);
}

/** Two facts stating one value, however worded ("Lives in Berlin", "Is based in Berlin."). */
export function sameValue(a: string, b: string): boolean {
  return valueOf(a) === valueOf(b);
}
