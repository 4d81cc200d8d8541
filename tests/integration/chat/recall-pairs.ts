/**
 * What a person says, the fact Engram should keep, and a later question sharing no content word
 * with it: the recall tests' data. ASIDE is never tuned on.
 */
export const PAIRS = [
  { said: "I'm allergic to peanuts.", fact: 'Is allergic to peanuts', asked: 'Can you suggest a snack?' },
  { said: "I'm vegetarian.", fact: 'Is vegetarian', asked: 'What should I cook tonight?' },
  { said: 'I live in Lyon.', fact: 'Lives in Lyon', asked: 'Any good weekend trips nearby?' },
  { said: 'My name is Priya.', fact: 'Name is Priya', asked: 'How should you address me?' },
  { said: 'I work as a nurse.', fact: 'Works as a nurse', asked: 'Any tips for coping with night shifts?' },
  { said: 'I prefer short answers.', fact: 'Prefers short answers', asked: 'Explain how vaccines work.' },
  { said: "I'm training for a marathon.", fact: 'Is working towards a marathon', asked: 'What should I eat before a long run?' },
  { said: 'I use PostgreSQL.', fact: 'Uses PostgreSQL', asked: 'How do I speed up a slow query?' },
  { said: 'I hate cilantro.', fact: 'Dislikes cilantro', asked: 'Give me a salsa recipe.' },
  { said: 'I work at Siemens.', fact: 'Works at Siemens', asked: "What's my commute like likely to be?" },
];

/** Never tuned on: checked, not used to choose anything. */
export const ASIDE = [
  { said: "I'm lactose intolerant.", fact: 'Is lactose intolerant', asked: "What's a good dessert for tonight?" },
  { said: 'I live in Porto.', fact: 'Lives in Porto', asked: 'Where could I go hiking this weekend?' },
];


/** Everyday words for distractor messages and facts: none of them is in a pair. */
export const DISTRACTOR_WORDS = {
  verbs: ['painted', 'fixed', 'moved', 'cleaned', 'sold', 'photographed', 'borrowed', 'measured', 'wrapped', 'repaired', 'carried', 'sorted'],
  things: ['bookshelf', 'bicycle', 'lamp', 'guitar', 'umbrella', 'carpet', 'printer', 'kite', 'mirror', 'clock', 'fence', 'window', 'sofa', 'ladder', 'jacket', 'camera', 'puzzle', 'teapot'],
  places: ['garage', 'library', 'harbour', 'museum', 'station', 'garden', 'office', 'market', 'stadium', 'workshop', 'beach', 'attic', 'bakery', 'airport'],
  people: ['neighbour', 'cousin', 'colleague', 'uncle', 'grandmother', 'roommate', 'landlord', 'teacher', 'nephew', 'friend'],
} as const;
