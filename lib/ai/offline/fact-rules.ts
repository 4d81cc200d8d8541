/**
 * The offline fact extractor: first-person statements matched by rules ("my name is…", "I live
 * in…", "I prefer…", "I'm allergic to…"). It knows no synonyms and misses anything said
 * indirectly, but what it records is what the user said, and single-valued facts (name, home,
 * employer, job) supersede their earlier value the way a model's extraction would.
 */

export type RuleFactType = 'preference' | 'goal' | 'personal_context' | 'technical_context' | 'constraint';

export interface KnownRuleFact {
  ref: string;
  factType: RuleFactType;
  factText: string;
}

export interface RuleFact {
  fact_type: RuleFactType;
  fact_text: string;
  confidence: number;
  supersedes: string[];
}

interface Rule {
  pattern: RegExp;
  factType: RuleFactType;
  text: (object: string) => string;
  /** Facts with this prefix hold one value at a time: a new one supersedes the old. */
  slot?: string;
}

const I_AM = String.raw`i(?:'m|’m| am)`;

const RULES: Rule[] = [
  { pattern: /\bmy name is ([\p{L}][\p{L}'’ -]{0,40})/iu, factType: 'personal_context', text: (x) => `Name is ${x}`, slot: 'Name is ' },
  { pattern: /\b(?:call me|i'?m called) ([\p{L}][\p{L}'’-]{0,30})/iu, factType: 'personal_context', text: (x) => `Name is ${x}`, slot: 'Name is ' },
  { pattern: new RegExp(String.raw`\b(?:i live|${I_AM} living|${I_AM} based|i(?:'ve| have)? (?:just |recently )?moved) (?:in|to) (.+)`, 'i'), factType: 'personal_context', text: (x) => `Lives in ${x}`, slot: 'Lives in ' },
  { pattern: new RegExp(String.raw`\b${I_AM} (?:severely |very |also )?allergic to (.+)`, 'i'), factType: 'constraint', text: (x) => `Is allergic to ${x}` },
  { pattern: new RegExp(String.raw`\b${I_AM} (?:a |an )?(vegetarian|vegan|pescatarian|lactose intolerant|celiac)\b`, 'i'), factType: 'constraint', text: (x) => `Is ${x.toLowerCase()}` },
  { pattern: /\bi (?:can(?:no|')t|do(?:n't| not)) (eat|drink) (.+)/i, factType: 'constraint', text: (x) => `Does not ${x}` },
  { pattern: new RegExp(String.raw`\bi work (?:at|for) (.+)`, 'i'), factType: 'personal_context', text: (x) => `Works at ${x}`, slot: 'Works at ' },
  { pattern: new RegExp(String.raw`\b(?:i work|${I_AM} working) as (?:an? )?(.+)`, 'i'), factType: 'personal_context', text: (x) => `Works as ${article(x)}`, slot: 'Works as ' },
  { pattern: new RegExp(String.raw`\b(?:i work|${I_AM} working) on (.+)`, 'i'), factType: 'technical_context', text: (x) => `Works on ${x}` },
  { pattern: new RegExp(String.raw`\b(?:i use|${I_AM} using|i code in|i program in|i write) (.+)`, 'i'), factType: 'technical_context', text: (x) => `Uses ${x}` },
  { pattern: /\bi (?:really |much |strongly )?prefer (.+)/i, factType: 'preference', text: (x) => `Prefers ${x}` },
  { pattern: /\bi (?:really |also )?(?:like|love|enjoy) (.+)/i, factType: 'preference', text: (x) => `Likes ${x}` },
  { pattern: /\bi (?:really )?(?:hate|dislike|can't stand|do(?:n't| not) like) (.+)/i, factType: 'preference', text: (x) => `Dislikes ${x}` },
  { pattern: /\bmy goal is (?:to )?(.+)/i, factType: 'goal', text: (x) => `Wants to ${x}` },
  { pattern: new RegExp(String.raw`\b${I_AM} (?:training for|learning|studying|preparing for) (.+)`, 'i'), factType: 'goal', text: (x) => `Is working towards ${x}` },
  { pattern: new RegExp(String.raw`\b${I_AM} (?:planning|trying|hoping) to (.+)`, 'i'), factType: 'goal', text: (x) => `Wants to ${x}` },
];

/** "switched from Python to Rust": the new tool, superseding facts that name the old one. */
const SWITCH = /\bi(?:'ve| have)? (?:switched|migrated|moved|changed) from (.+?) to (.+)/i;

const article = (x: string) => (/^(?:a|an|the)\s/i.test(x) ? x : `${/^[aeiou]/i.test(x) ? 'an' : 'a'} ${x}`);

/** Trims a captured object to the statement itself: no trailing filler, at most a few words. */
function cleanObject(raw: string): string {
  return raw
    .replace(/\s+(?:too|as well|though|now|these days|nowadays)$/i, '')
    .replace(/[\s,:;.!]+$/, '')
    .trim()
    .slice(0, 100);
}

/** Statements, one at a time: questions and conditionals are not facts. */
function statements(message: string): string[] {
  return (message.match(/[^.!?;\n]+[.!?;\n]?/g) ?? [])
    .flatMap((s) => s.split(/,?\s+(?:and|but)\s+(?=i\b|my\b)/i))
    .map((s) => s.trim())
    .filter((s) => s && !s.endsWith('?') && !/^(?:if|when|whether|do|does|what|how|why|can|could|would)\b/i.test(s));
}

export function extractFactsByRules(userMessage: string, known: KnownRuleFact[]): RuleFact[] {
  const found: RuleFact[] = [];
  const add = (fact: RuleFact) => {
    if (!found.some((f) => f.fact_text.toLowerCase() === fact.fact_text.toLowerCase())) found.push(fact);
  };
  for (const statement of statements(userMessage)) {
    const switched = SWITCH.exec(statement);
    if (switched) {
      const [from, to] = [cleanObject(switched[1]!), cleanObject(switched[2]!)];
      const old = known.filter((f) => f.factText.toLowerCase().includes(from.toLowerCase())).map((f) => f.ref);
      add({ fact_type: 'technical_context', fact_text: `Uses ${to}`, confidence: 0.9, supersedes: old });
      continue;
    }
    for (const rule of RULES) {
      const match = rule.pattern.exec(statement);
      if (!match) continue;
      const text = rule.text(cleanObject(match.slice(1).join(' ')));
      const supersedes = rule.slot
        ? known.filter((f) => f.factText.startsWith(rule.slot!) && f.factText.toLowerCase() !== text.toLowerCase()).map((f) => f.ref)
        : [];
      add({ fact_type: rule.factType, fact_text: text, confidence: 0.9, supersedes });
      break;
    }
  }
  return found;
}
