/** English tokenising shared by the offline embedders: lower-case words without stop words. */

// Function words and chat filler: they carry no topic, and averaging them makes every text alike.
const STOP_WORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both
  but by can could did do does doing down during each few for from further had has have having he her here hers
  herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
  once only or other our ours ourselves out over own same she should so some such than that the their theirs them
  themselves then there these they this those through to too under until up very was we were what when where which
  while who whom why will with would you your yours yourself yourselves also really much many get got like would
  could should might must shall may im ive id ill dont didnt doesnt isnt wasnt arent cant wont yes ok okay oh hey
  hi hello thanks thank please well`.split(/\s+/),
);

export function contentWords(text: string): string[] {
  return (text.toLowerCase().replace(/['’]/g, '').match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
}
