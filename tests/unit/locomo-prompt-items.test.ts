import { describe, expect, it } from 'vitest';
import { ScoreBoard } from '@/scripts/locomo/metrics';
import { interleave, promptCounts, promptItems, promptTurnIds, speakersAsked } from '@/scripts/locomo/prompt-items';

const diaIdsByTurn = new Map<number, string[]>([
  [1, ['D1:1']],
  [2, ['D1:2']],
  [3, ['D1:3']],
  [7, ['D2:4']],
]);

const fact = (sourceTurnId: number | null) => ({ fact: { sourceTurnId } });
const episode = (turnId: number) => ({ episode: { turnId } });

describe('LoCoMo pipeline scoring: what the prompt carried', () => {
  it('maps each fact to the dialogue id of its source turn, in prompt order', () => {
    const prepared = { promptItems: [fact(3), fact(null), fact(1), fact(99)] };
    // A fact with no source turn, or one from a turn not in the dialogue, holds a place and finds nothing.
    expect(promptItems(prepared, diaIdsByTurn)).toEqual([['D1:3'], [], ['D1:1'], []]);
    expect(promptCounts(prepared)).toEqual({ facts: 4, episodes: 0 });
  });

  it('counts episodes too, where the prompt puts them', () => {
    const prepared = { promptItems: [fact(1), episode(7), episode(2), fact(3)] };
    expect(promptTurnIds(prepared)).toEqual([1, 7, 2, 3]);
    expect(promptItems(prepared, diaIdsByTurn)).toEqual([['D1:1'], ['D2:4'], ['D1:2'], ['D1:3']]);
    expect(promptCounts(prepared)).toEqual({ facts: 2, episodes: 2 });
  });

  it('merges two users’ prompts by rank', () => {
    expect(interleave([['a1', 'a2', 'a3'], ['b1']])).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(interleave([[], ['b1', 'b2']])).toEqual(['b1', 'b2']);
    expect(interleave([['a1']])).toEqual(['a1']);
    expect(interleave<string>([])).toEqual([]);
  });

  it('asks the speaker a question names, and both when it names both or neither', () => {
    const speakers = ['Ada', 'Bo'];
    expect(speakersAsked("What is Ada's favourite hike?", speakers)).toEqual([0]);
    expect(speakersAsked('When did bo start a new job?', speakers)).toEqual([1]);
    expect(speakersAsked('What do Ada and Bo both like?', speakers)).toEqual([0, 1]);
    expect(speakersAsked('Which city hosted the fair?', speakers)).toEqual([0, 1]);
    // Whole words only: "Bob" and "boat" do not name Bo.
    expect(speakersAsked('Did Ada ride the boat with Bob?', speakers)).toEqual([0]);
    expect(speakersAsked('Where does Ann go?', ['Ann Lee', 'Bo'])).toEqual([0]);
  });

  it('scores recall, hit and the number of items against k', () => {
    const board = new ScoreBoard();
    const items = interleave([
      promptItems({ promptItems: [fact(2), fact(3)] }, diaIdsByTurn),
      promptItems({ promptItems: [fact(7)] }, diaIdsByTurn),
    ]);
    expect(items).toEqual([['D1:2'], ['D2:4'], ['D1:3']]);
    board.add(['overall'], ['D1:3', 'D9:9'], items);
    board.add(['overall'], ['D9:9'], []);
    board.add(['overall'], [], items); // no evidence: not counted
    const { overall } = board.scores();
    expect(overall).toEqual({
      questions: 2,
      recall: { 5: 0.25, 8: 0.25, 20: 0.25 },
      hit: { 5: 0.5, 8: 0.5, 20: 0.5 },
      items: 1.5,
      short: { 5: 1, 8: 1, 20: 1 },
    });
  });
});
