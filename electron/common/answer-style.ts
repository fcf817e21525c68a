import type { AnswerStyle, ConversationStyle, Settings } from './contract.ts';

// A conversation's own choices over the app's, field by field: a field it has (null included, the model's own
// default) is its own, one it lacks the app's. The engine is asked with these and the conversation's settings
// panel shows them.
export function styleOver(app: Pick<Settings, 'answerStyle' | 'answerTokens'>, own: ConversationStyle | null | undefined): AnswerStyle & { answerTokens: number } {
  const mine = own ?? {};
  const pick = <K extends keyof AnswerStyle>(key: K): AnswerStyle[K] => (mine[key] !== undefined ? mine[key] : app.answerStyle[key]) as AnswerStyle[K];
  return { instructions: pick('instructions'), temperature: pick('temperature'), topP: pick('topP'), seed: pick('seed'), answerTokens: mine.answerTokens ?? app.answerTokens };
}
