/**
 * Text that gives the assistant orders instead of saying something about the user: "ignore
 * previous instructions", "you are now…", "the system prompt says…", "from now on answer as…",
 * "call yourself…". Memory holds facts about the person; an order stored as a fact would come
 * back in every later prompt. How the person wants to be answered or addressed ("I prefer short
 * answers", "answer in French", "call me Sam") is about them, and is not matched here.
 *
 * Pattern-detected, like secrets.ts: each pattern names a way of addressing the assistant's own
 * instructions, identity or rules, never a topic, so "Works as a system administrator" or
 * "Ignore my typos" pass.
 */

/** The assistant's instructions and rules, as an override names them. */
const ORDERS = String.raw`(?:instructions?|prompts?|rules|directions|directives?|guidelines|guidance|programming|constraints|restrictions|guardrails|policies|policy)`;
/**
 * Which instructions: the earlier ones, or the assistant's own ("your", "system"). Without one of
 * these, "forget the rules of bridge" is about bridge.
 */
const WHICH = String.raw`(?:(?:all|any|of|the|these|those)\s+){0,3}(?:(?:your|previous|previously given|prior|above|earlier|preceding|original|initial|system|developer|safety|existing|current|old)\s+(?:[\w-]+\s+){0,2}|all\s+)`;
/** Where a sentence gives an order: its start, after "please"/"from now on", after "you (must)", or "the assistant to". */
const ORDER_POSITION = String.raw`(?:^|[.!?;:\n]\s*|\b(?:please|and|then|now|also|from now on|henceforth|from here on)\s*,?\s+|\byou(?:'ll| will| must| should| shall| are to| have to| need to| to)?\s+(?:now\s+|always\s+|only\s+)*|\b(?:the assistant|the ai|the model|the bot)\s+to\s+)`;

const PATTERNS: RegExp[] = [
  // Overrides: "ignore previous instructions", "disregard your rules", "forget the system prompt".
  new RegExp(String.raw`\b(?:ignore|ignoring|disregard|disregarding|forget|override|bypass|stop following|do not follow|don't follow)\s+${WHICH}${ORDERS}\b`, 'i'),
  // "disregard the above", "ignore everything before this"
  /\b(?:ignore|disregard|forget)\s+(?:all\s+(?:of\s+)?)?(?:the|everything|anything)\s+(?:above|before this|said before|written above)\b/i,
  // A new identity: "you are now…", "you're no longer…".
  /\byou(?:'re| are)\s+(?:now|no longer|henceforth|from now on)\b/i,
  // A persona: "from now on answer as…", "act as a…", "answer as if you were…", "pretend to be…".
  new RegExp(String.raw`${ORDER_POSITION}(?:act|answer|respond|reply|behave|speak|talk|roleplay|role-play|pose)\s+(?:as|like)\s+(?:an?|the|someone|somebody|my|your|(?:if|though)\s+you)\b`, 'i'),
  new RegExp(String.raw`${ORDER_POSITION}pretend\s+(?:to be|you(?:'re| are))\b`, 'i'),
  // The assistant's name or role: "call yourself Admin", "your name is…", "(wants it to) call itself…".
  /\b(?:call|rename|refer to)\s+(?:yourself|itself)\b/i,
  /\byour\s+(?:new\s+)?(?:name|role|persona|identity|instructions|rules|programming|directives?)\s+(?:is|are|will be|has been|have been)\b/i,
  // This assistant's prompt: "the system prompt says…", "reveal your system prompt".
  /\b(?:the|your|this|its)\s+(?:system\s+(?:prompt|instructions?)|developer\s+prompt|hidden\s+(?:prompt|instructions))\b/i,
  // Chat-format markers and a known jailbreak.
  /(?:^|\n)\s*(?:system|assistant|developer)\s*:/i,
  /<\/?\s*(?:system|instructions?|im_start|im_end)\b|\[\/?(?:system|inst)\]/i,
  /\b(?:new|updated|additional)\s+instructions\s*:/i,
  /\b(?:jailbreak|dan)\s+mode\b|\bdo anything now\b/i,
  // Demands of obedience: "you must obey", "you will comply".
  /\byou\s+(?:must|will|shall)\s+(?:now\s+)?(?:always\s+)?(?:obey|comply)\b/i,
];

/** Whether `text` (a message, or a fact as written by an extractor) reads as orders to the assistant. */
export function readsAsInstruction(text: string): boolean {
  const normalized = text.replace(/[’‘]/g, "'");
  return PATTERNS.some((pattern) => pattern.test(normalized));
}
