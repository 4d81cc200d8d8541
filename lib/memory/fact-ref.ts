/** How the engine, the chat and the memory page name a fact: its kinds, and the reference to one. */
import { factType, type FactType } from '../db/schema';

/** The kinds of fact, in the schema's order (the memory page's sections follow it). */
export const FACT_TYPES = factType.enumValues;

/** A fact as it is passed around: which one, of what kind, saying what. */
export interface FactRef {
  id: string;
  factType: FactType;
  factText: string;
}

/** Just the reference, without whatever else a row or a search result carries (what a page is sent). */
export const factRef = ({ id, factType, factText }: FactRef): FactRef => ({ id, factType, factText });
