/** How the engine, the chat and the memory page name a fact: its kinds, and the reference to one. */
import { factType, type FactType, type UserFact } from '../db/schema';

/** The kinds of fact, in the schema's order (the memory page's sections follow it). */
export const FACT_TYPES = factType.enumValues;

/** A fact as it is passed around: which one, of what kind, saying what. */
export interface FactRef {
  id: string;
  factType: FactType;
  factText: string;
}

/** A deleted fact, with what Undo needs to put it back as it was. */
export type DeletedFact = FactRef & Pick<UserFact, 'confidence' | 'createdAt' | 'sourceConversationId' | 'accessCount'>;

/** Just the reference, without whatever else a row or a search result carries (what a page is sent). */
export const factRef = ({ id, factType, factText }: FactRef): FactRef => ({ id, factType, factText });
