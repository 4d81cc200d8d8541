/**
 * The offline fact extractor: first-person statements matched by rules ("my name is…", "I live
 * in…", "I prefer…", "I'm allergic to…"). It knows no synonyms and misses anything said
 * indirectly, but what it records is what the user said, and single-valued facts (name, home,
 * employer, job, partner) supersede their earlier value the way a model's extraction would.
 *
 * It would rather say nothing than store junk: a statement must be the speaker's own, plain and
 * affirmative (no question, condition, wish or negation in front of it), and what it says must be
 * a thing in itself: no pronoun or demonstrative standing for something said before ("I love
 * it", "I love that you…"), nothing about the person spoken to, no reaction to what they show
 * ("I love the colours", "I love how it…"), no clause trailing after it, and a few words at most.
 * Measured on hand-labelled LoCoMo turns by `npm run eval:extract`.
 */
import { FILLER_TAIL, LANGUAGES, NATIONALITIES, OCCUPATIONS, RELATIONS_AND_PETS, ROLES } from './fact-words';

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

/**
 * What a captured object must look like.
 * - phrase: a short noun or verb phrase ("hiking in the mountains");
 * - place / org: a named place or employer, or an article and a noun ("a small town", "a bank");
 * - name: one to three capitalised words;
 * - role: a job title ("nurse", "software engineer");
 * - fixed: the pattern itself spelled out what may be captured ("two kids", "a dog named Max").
 */
type ObjectKind = 'phrase' | 'place' | 'org' | 'name' | 'role' | 'fixed';

interface Rule {
  pattern: RegExp;
  factType: RuleFactType;
  /** The fact, from the cleaned object (the last group) and the whole match. */
  text: (object: string, match: RegExpExecArray) => string;
  kind: ObjectKind;
  /** Where the object stops beyond the usual clause ends ("joined a club to meet people"). */
  stopAt?: RegExp;
  /** Objects that cannot follow this verb ("I use to…" is "I used to…"). */
  badStart?: RegExp;
  /** A lower-case name is taken as one word ("my name is ada"): only where nothing else can follow. */
  lowerCaseName?: boolean;
  /** Facts with this prefix hold one value at a time: a new one supersedes the old. */
  slot?: string;
  /** Tastes: "the …", "all the …", "those …" are reactions to something shown, not tastes. */
  noDefinite?: boolean;
  /** Plans and projects: skipped when said of today or this week ("this weekend I'm planning to…"). */
  notTransient?: boolean;
  maxWords?: number;
}

const I_AM = String.raw`i(?:'m| am|m)`;
const I_HAVE = String.raw`i(?:'ve| have)?`;
const PARTNER = String.raw`(?:partner|wife|husband|girlfriend|boyfriend|gf|bf|fianc[eé]e?|spouse)`;
const alternation = (words: readonly string[]) => words.map((w) => w.replace(/ /g, String.raw`\s+`)).join('|');
/** The word after a listed noun: the statement ends or goes on, it does not qualify the noun ("a dog park"). */
const NOUN_END = String.raw`(?=$|[\s]*[,.;:!]|\s+(?:and|who|that|which|at|in|for|so|but|too|now|named|called)\b)`;

const RULES: Rule[] = [
  { pattern: /\bmy name(?:'s| is) (.+)/i, factType: 'personal_context', text: (x) => `Name is ${x}`, slot: 'Name is ', kind: 'name', lowerCaseName: true },
  { pattern: /\b(?:call me|i'?m called|people call me|everyone calls me) (.+)/i, factType: 'personal_context', text: (x) => `Name is ${x}`, slot: 'Name is ', kind: 'name' },
  {
    pattern: new RegExp(String.raw`\bmy ${PARTNER}(?:'s name)? is (.+)`, 'i'),
    factType: 'personal_context',
    text: (x) => `Partner is ${x}`,
    slot: 'Partner is ',
    kind: 'name',
  },
  {
    pattern: new RegExp(String.raw`\b(?:${I_AM} (?:now |happily )?(?:married|engaged) to|${I_AM} (?:now )?dating) (.+)`, 'i'),
    factType: 'personal_context',
    text: (x) => `Partner is ${x}`,
    slot: 'Partner is ',
    kind: 'name',
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:i (?:now |currently |still )?live|${I_AM} (?:now |currently )?(?:living|based)|${I_HAVE} (?:just |recently |finally |now )?(?:moved|relocated)(?: back| here| over)?) (?:in|to) (.+)`,
      'i',
    ),
    factType: 'personal_context',
    text: (x) => `Lives in ${x}`,
    slot: 'Lives in ',
    kind: 'place',
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:severely |very |also )?allergic to (.+)`, 'i'),
    factType: 'constraint',
    text: (x) => `Is allergic to ${x}`,
    kind: 'phrase',
    maxWords: 5,
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:a |an )?(vegetarian|vegan|pescatarian|lactose intolerant|celiac|gluten intolerant)\b`, 'i'),
    factType: 'constraint',
    text: (x) => `Is ${x.toLowerCase()}`,
    kind: 'fixed',
  },
  {
    pattern: /\bi (?:can(?:no|')t|do(?:n't| not)) (eat|drink) (.+)/i,
    factType: 'constraint',
    text: (x, m) => `Does not ${m[1]!.toLowerCase()} ${x}`,
    kind: 'phrase',
    maxWords: 5,
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:i (?:now |currently |still )?work|${I_AM} (?:now |currently )?working|${I_HAVE} been working|${I_HAVE} (?:just |recently |finally )?(?:started|begun|began) (?:working|to work)|${I_HAVE} (?:just |recently |finally )?(?:got|gotten|landed|found|started|accepted|took) (?:a |my )?(?:new )?(?:job|position|role)) (?:at|for) (.+)`,
      'i',
    ),
    factType: 'personal_context',
    text: (x) => `Works at ${x}`,
    slot: 'Works at ',
    kind: 'org',
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:i (?:now |currently |still )?work|${I_AM} (?:now |currently )?working|${I_HAVE} been working|${I_HAVE} (?:just |recently |finally )?(?:started|begun|began) (?:working|to work)|${I_HAVE} (?:just |recently |finally )?(?:got|gotten|landed|found|started|accepted|took) (?:a |my )?(?:new )?(?:job|position|role)) as (?:an? )?(.+)`,
      'i',
    ),
    factType: 'personal_context',
    text: (x) => `Works as ${article(x)}`,
    slot: 'Works as ',
    kind: 'role',
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:an? )((?:${alternation(OCCUPATIONS)}))${NOUN_END}`, 'i'),
    factType: 'personal_context',
    text: (x) => `Works as ${article(x.toLowerCase())}`,
    slot: 'Works as ',
    kind: 'role',
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (an? (?:${alternation(ROLES)}))${NOUN_END}`, 'i'),
    factType: 'personal_context',
    text: (x) => `Is ${x.toLowerCase()}`,
    kind: 'fixed',
  },
  {
    pattern: new RegExp(
      String.raw`\bi (?:have|'ve got|have got) ((?:a|an|one|two|three|four|five|six|\d+) (?:[a-z]+ )?(?:${alternation(RELATIONS_AND_PETS)})(?: (?:named|called) [A-Z][\p{L}'-]*(?:(?:, | and )[A-Z][\p{L}'-]*)*)?)${NOUN_END}`,
      'iu',
    ),
    factType: 'personal_context',
    text: (x) => `Has ${x}`,
    kind: 'fixed',
  },
  {
    pattern: new RegExp(String.raw`\b(?:i work|${I_AM} (?:currently |still )?working) on (.+)`, 'i'),
    factType: 'technical_context',
    text: (x) => `Works on ${x}`,
    kind: 'phrase',
    notTransient: true,
    maxWords: 8,
  },
  {
    pattern: new RegExp(String.raw`\b(?:i (?:mostly |mainly |usually )?use|${I_AM} (?:mostly |mainly )?using|i (?:mostly |mainly |usually )?(?:code|program|write code) in) (.+)`, 'i'),
    factType: 'technical_context',
    text: (x) => `Uses ${x}`,
    kind: 'phrase',
    badStart: /^(?:to|for|it|as|in|on|with)\b/i,
    maxWords: 6,
  },
  { pattern: /\bi (?:really |much |strongly |usually |generally )?prefer (.+)/i, factType: 'preference', text: (x) => `Prefers ${x}`, kind: 'phrase', noDefinite: true },
  {
    // How the user wants to be answered is about them ("please answer in French"): one language at a time.
    pattern: new RegExp(
      String.raw`^(?:(?:please|from now on|always|and)\s*,?\s+)*(?:answer|reply|respond|write|talk|speak)(?: to me| back)?(?: only| always)? in (${alternation(LANGUAGES)})\b`,
      'i',
    ),
    factType: 'preference',
    text: (x) => `Wants answers in ${x[0]!.toUpperCase()}${x.slice(1).toLowerCase()}`,
    slot: 'Wants answers in ',
    kind: 'fixed',
  },
  {
    pattern: new RegExp(
      String.raw`\b(?:i (?:really |also |just |absolutely |totally |truly |genuinely |still |do )?(?:like|love|enjoy|adore)|${I_HAVE} always (?:loved|liked|enjoyed)|${I_HAVE} always had a (?:love|passion|soft spot) for|${I_AM} (?:a )?(?:really )?(?:big |huge )?fan of) (.+)`,
      'i',
    ),
    factType: 'preference',
    text: (x) => `Likes ${x}`,
    kind: 'phrase',
    noDefinite: true,
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:really |so |super |very |truly )?passionate about (.+)`, 'i'),
    factType: 'preference',
    text: (x) => `Is passionate about ${x}`,
    kind: 'phrase',
    noDefinite: true,
  },
  {
    pattern: /\bi (?:really )?(?:hate|dislike|can't stand|do(?:n't| not) like) (.+)/i,
    factType: 'preference',
    text: (x) => `Dislikes ${x}`,
    kind: 'phrase',
    noDefinite: true,
  },
  { pattern: /\bmy (?:main |big |biggest )?goal is (?:to )?(.+)/i, factType: 'goal', text: (x) => `Wants to ${x}`, kind: 'phrase' },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:training for|preparing for) (.+)`, 'i'),
    factType: 'goal',
    text: (x) => `Is working towards ${x}`,
    kind: 'phrase',
    notTransient: true,
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:currently )?(learning|studying) (.+)`, 'i'),
    factType: 'goal',
    text: (x, m) => `Is ${m[1]!.toLowerCase()} ${x}`,
    kind: 'phrase',
    notTransient: true,
    maxWords: 7,
  },
  {
    pattern: new RegExp(String.raw`\b(?:${I_AM} (?:still |currently )?|${I_HAVE} been )looking into (.+)`, 'i'),
    factType: 'goal',
    text: (x) => `Is looking into ${x}`,
    kind: 'phrase',
    notTransient: true,
    maxWords: 8,
  },
  {
    pattern: new RegExp(String.raw`\b${I_HAVE} (?:just |recently |finally |also )?joined (.+)`, 'i'),
    factType: 'personal_context',
    text: (x) => `Joined ${x}`,
    kind: 'phrase',
    stopAt: /\s+(?:to|last|this|on|in (?=\d|january|february|march|april|may|june|july|august|september|october|november|december))\b/i,
    maxWords: 8,
  },
  {
    pattern: new RegExp(String.raw`\b${I_AM} (?:planning|hoping|aiming|saving up) to (.+)`, 'i'),
    factType: 'goal',
    text: (x) => `Wants to ${x}`,
    kind: 'phrase',
    notTransient: true,
    maxWords: 8,
  },
];

/** "switched from Python to Rust": the new tool, superseding facts that name the old one. */
const SWITCH = /\bi(?:'ve| have)? (?:just |recently |finally )?(?:switched|migrated|changed) from (.+?) to (.+)/i;
/** "moved from Lyon to Paris": a new home, unless the user is known to use what they left. */
const MOVE_FROM = /\bi(?:'ve| have)? (?:just |recently |finally )?(?:moved|relocated)(?: back| over)? from (.+?) to (.+)/i;

const article = (x: string) => (/^(?:a|an|the)\s/i.test(x) ? x : `${/^[aeiou]/i.test(x) ? 'an' : 'a'} ${x}`);

// Words that make a captured object a reference to something else said or shown, or a clause.
const POINTERS = new Set(
  `it it's its itself that that's this these those them they they're there here him he he's she she's her hers
  you you're your yours yourself yourselves ya u ur we we're us our ours i i'm i've i'd i'll me myself one's
  what whatever how when where why who which whichever`.split(/\s+/),
);
// An object starting with one of these is empty or a fragment ("I love to.", "I use for…").
const BAD_START = new Set(
  `for with from about of at on in into by as so such and or but not no more most some something anything
  everything nothing any both each other another lots much many plenty very too just really also
  is are was were am be been has have had will would can could do does did gets got`.split(/\s+/),
);
const DEFINITE = /^(?:the|all the|all of|all those|all these|those|these|every)\b/i;
// An object ending on one of these was cut mid-phrase.
const DANGLING = /\b(?:a|an|the|of|to|for|with|and|or|in|on|at|my|some|about|from|by|as|is|are|was|were|be|been|like)$/i;
const VAGUE = /^(?:a ton|a lot|a bit|a little|lots|stuff|things|it all|life|everyone|everybody|people)$|^to (?:think|believe|say|imagine|hope|know|see|hear|admit|pretend|guess|help)\b/i;
// Said of today or the days around it: a plan of the moment, not a standing goal.
const TRANSIENT = /\b(?:today|tonight|tomorrow|yesterday|this (?:morning|afternoon|evening|weekend|week)|next week|later on|soon|right now|at the moment)\b/i;
// Statement openings and markers that make what follows a question, condition, wish or guess.
const NOT_A_STATEMENT = /^(?:if|when|whenever|whether|unless|do|does|did|what|how|why|can|could|would|should|will|shall|may|might|maybe|perhaps|imagine|suppose|hopefully|wish)\b/i;
const HYPOTHETICAL = /\b(?:if|would|wish|wished|could|might|maybe|perhaps|suppose|imagine|pretend|wonder|unless|i'd|as if|not sure)\b/i;
// A negation before the first-person verb flips it ("I don't think I like…", "not that I live…").
const NEGATED = /\b(?:not|never|no longer|don't|doesn't|didn't|won't|can't|cannot|wouldn't|isn't|aren't|wasn't|doubt)\b/i;
// Clause boundaries inside an object: what follows is another statement, a reason or a comment.
const CLAUSE_END = new RegExp(
  String.raw`\s+(?:-|–|—)\s*|\s*[;:!?()"“”]|\s*\.\s|\s+(?:because|'cause|cause|cuz|since|so that|so|but|though|although|even though|which|who|whom|whose|where|when|while|until|unless|whenever|as long as|especially|(?:and|or|but) (?:i|i'm|i've|it|it's|that|that's|this|they|they're|she|he|we|you|then|also|so|now|still)|and (?:[\p{L}']+ ){1,2}(?:is|are|was|were|has|have|had|will|gets?|got|looks?|feels?|seems?)|it's|it is|it was|that's|i'm|i've|i)\b`,
  'iu',
);
// After a place or employer: where the name stops ("Paris with my wife", "Acme as a designer").
const NAME_END = /\s+(?:with|for|to|from|since|after|before|because|last|this|next|a few|about|around|as|and|on|at|in (?=\d|the (?:summer|spring|fall|autumn|winter)|january|february|march|april|may|june|july|august|september|october|november|december)|\d+|(?:one|two|three|four|five|six|seven|eight|nine|ten|a|an) (?:years?|months?|weeks?|days?)|years?|ago|recently|now|soon|when|where|which|who|while)\b/i;
const NOT_PLACES = /^(?:the )?(?:moment|present|past|future|hope|fear|denial|peace|harmony|fact|hopes|dream|dreams|bubble|shadows?|front|back|side|top|bottom|end|middle|next)\b/i;
const NOT_ORGS = /^(?:(?:the )?(?:moment|weekend|weekends|time|same time|end|least|most|night|nights|home|first|beginning|free|hours|years|months|weeks|days|now)$|a living$|the (?:past|last|next|whole|entire|rest|same)\b)/i;
const NOT_ROLES = /^(?:team|group|unit|family|one|well|hard|much|long|fast|usual|expected|planned|always|best|such|part)\b|^[\p{L}]+ as\b/iu;

/** Trims a captured object to the statement itself: the first clause, no trailing filler. */
function clip(raw: string, kind: ObjectKind, stopAt?: RegExp): string | null {
  let text = ` ${raw}`;
  const comma = text.indexOf(',');
  if (comma >= 0) {
    // "hiking, swimming and biking" is one list; "camping, 'cause it's nice" is a phrase and a reason.
    const rest = text.slice(comma + 1).trimStart();
    const list = kind === 'phrase' && /^[\p{L}]+ing\b/u.test(rest) && /^[\p{L}]+ing\b/u.test(text.trimStart());
    if (!list) text = text.slice(0, comma);
  }
  const end = CLAUSE_END.exec(text);
  if (end) text = text.slice(0, end.index);
  if (kind === 'place' || kind === 'org' || kind === 'role') {
    const stop = NAME_END.exec(text);
    if (stop) text = text.slice(0, stop.index);
  }
  const stop = stopAt?.exec(text);
  if (stop) text = text.slice(0, stop.index);
  text = text.trim().replace(/^['"]+/, '');
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(FILLER_TAIL, '').replace(/[\s,.;:!?'"]+$/, '').trim();
  }
  return text || null;
}

/** The first words that make a name: capitalised words (one lower-case word if typed that way). */
function nameFrom(raw: string, lowerCase: boolean): string | null {
  const words = raw.trim().split(/\s+/);
  const first = words[0]!.replace(/[.,;:!?)"]+$/, '');
  if (lowerCase && words.length === 1 && /^\p{Ll}[\p{L}'-]*$/u.test(first) && !POINTERS.has(first) && !BAD_START.has(first) && !/^(?:a|an|the|not)$/.test(first)) {
    return first[0]!.toUpperCase() + first.slice(1);
  }
  const name: string[] = [];
  for (const word of words) {
    const w = word.replace(/[.,;:!?)"]+$/, '');
    if (!/^\p{Lu}[\p{L}'-]*$/u.test(w)) break;
    name.push(w);
    if (w !== word || name.length === 3) break;
  }
  if (!name.length) return null;
  if (name.length === 1 && (POINTERS.has(name[0]!.toLowerCase()) || NATIONALITIES.has(name[0]!.toLowerCase()))) return null;
  return name.join(' ');
}

/** The object as the fact will hold it, or null when it is not worth a fact. */
function objectOf(raw: string, rule: Pick<Rule, 'kind' | 'noDefinite' | 'maxWords' | 'badStart' | 'lowerCaseName' | 'stopAt'>): string | null {
  if (rule.kind === 'name') return nameFrom(raw, rule.lowerCaseName ?? false);
  if (rule.kind === 'fixed') return raw.trim();
  if (rule.kind === 'role' && NOT_ROLES.test(raw.trim())) return null;
  const text = clip(raw, rule.kind, rule.stopAt);
  if (!text) return null;
  const words = text.toLowerCase().split(/\s+/);
  const limit = rule.maxWords ?? { phrase: 10, place: 5, org: 6, name: 3, role: 5 }[rule.kind];
  if (words.length > limit) return null;
  // "US" and "IT" are names, not pronouns: only words written in lower case can point back.
  if (text.split(/\s+/).some((w) => !/^\p{Lu}{2,}$/u.test(w) && POINTERS.has(w.toLowerCase().replace(/[^\p{L}']/gu, '')))) return null;
  if (BAD_START.has(words[0]!) || DANGLING.test(text) || VAGUE.test(text)) return null;
  if (rule.noDefinite && DEFINITE.test(text)) return null;
  if (rule.badStart?.test(text)) return null;
  // A home replaces the last one: only a named place will do ("Paris", "the Bay Area"), not "a new flat".
  if (rule.kind === 'place' && (NOT_PLACES.test(text) || !/^(?:the )?\p{Lu}/u.test(text))) return null;
  if (rule.kind === 'org' && (NOT_ORGS.test(text) || /^my\b/i.test(text) || !/^(?:(?:a|an|the) [\p{L}]|\p{Lu})/u.test(text))) return null;
  // A fact is about the user in the third person: "with my kids" becomes "with their kids".
  return text.replace(/\bmy\b/gi, 'their').replace(/\bmine\b/gi, 'theirs');
}

/** Statements, one at a time: questions, conditionals and wishes are not facts. */
function statements(message: string): string[] {
  return (message.replace(/[’‘]/g, "'").match(/[^.!?;\n]+[.!?;\n]?/g) ?? [])
    .flatMap((s) => s.split(/,?\s+(?:and|but|so)\s+(?=i\b|i'm\b|my\b)/i))
    .map((s) => s.trim())
    .filter((s) => s && !s.endsWith('?') && !NOT_A_STATEMENT.test(s) && !HYPOTHETICAL.test(s));
}

export function extractFactsByRules(userMessage: string, known: KnownRuleFact[]): RuleFact[] {
  const found: RuleFact[] = [];
  const add = (fact: RuleFact) => {
    if (!found.some((f) => f.fact_text.toLowerCase() === fact.fact_text.toLowerCase())) found.push(fact);
  };
  const inSlot = (slot: string, text: string) =>
    known.filter((f) => f.factText.startsWith(slot) && f.factText.toLowerCase() !== text.toLowerCase()).map((f) => f.ref);
  const naming = (what: string) => known.filter((f) => f.factText.toLowerCase().includes(what.toLowerCase()));

  for (const statement of statements(userMessage)) {
    const moved = MOVE_FROM.exec(statement);
    const switched = moved ?? SWITCH.exec(statement);
    if (switched && !NEGATED.test(statement.slice(0, switched.index))) {
      const from = clip(switched[1]!, 'phrase') ?? switched[1]!;
      // "moved from Python to Rust" is a switch of tools when the user is known to use Python.
      const home = moved && !naming(from).some((f) => f.factText.startsWith('Uses '));
      const to = objectOf(switched[2]!, home ? { kind: 'place' } : { kind: 'phrase', maxWords: 5, noDefinite: true });
      if (to && home) add({ fact_type: 'personal_context', fact_text: `Lives in ${to}`, confidence: 0.9, supersedes: inSlot('Lives in ', `Lives in ${to}`) });
      // A tool has a name ("Rust", "Neovim") or replaces one the user is known to use: not "a night owl".
      const tool = to && !home && (/^\p{Lu}/u.test(to) || naming(from).length > 0);
      if (tool) add({ fact_type: 'technical_context', fact_text: `Uses ${to}`, confidence: 0.9, supersedes: naming(from).map((f) => f.ref) });
      continue;
    }
    for (const rule of RULES) {
      const match = rule.pattern.exec(statement);
      if (!match) continue;
      if (NEGATED.test(statement.slice(0, match.index))) break;
      if (rule.notTransient && TRANSIENT.test(statement)) break;
      const object = objectOf(match[match.length - 1]!, rule);
      if (!object) break;
      const text = rule.text(object, match);
      add({ fact_type: rule.factType, fact_text: text, confidence: 0.9, supersedes: rule.slot ? inSlot(rule.slot, text) : [] });
      break;
    }
  }
  return found;
}
