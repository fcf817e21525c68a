// What one answer is asked with (issue 25 point 4): the conversation's choices over the app's over the
// model's own defaults.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, samplingFor } from '../../../electron/node/settings.ts';

const model = { generation: { greedy: false, temperature: 0.6, topP: 0.9 } };
const app = { ...DEFAULT_SETTINGS, answerTokens: 1024 };

describe('samplingFor', () => {
  it('takes the model\'s own defaults where nothing is set', () => {
    expect(samplingFor(app, model)).toEqual({ instructions: '', maxTokens: 1024, greedy: false, temperature: 0.6, topP: 0.9, seed: undefined });
    expect(samplingFor(app, { generation: { greedy: true, temperature: 1, topP: 1 } }).greedy).toBe(true);
  });

  it('takes the app-wide settings over the model, and a temperature of 0 as greedy', () => {
    const settings = { ...app, answerStyle: { instructions: '  Answer in French.  ', temperature: 0, topP: 0.5, seed: 7 } };
    expect(samplingFor(settings, model)).toEqual({ instructions: 'Answer in French.', maxTokens: 1024, greedy: true, temperature: 0, topP: 0.5, seed: 7 });
  });

  it('takes a conversation\'s own choices over the app\'s, field by field (null back to the model\'s default)', () => {
    const settings = { ...app, answerStyle: { instructions: 'Answer in French.', temperature: 0.2, topP: 0.5, seed: 7 } };
    const sampling = samplingFor(settings, model, { style: { instructions: 'Answer in German.', temperature: null, answerTokens: 256 } });
    expect(sampling).toEqual({ instructions: 'Answer in German.', maxTokens: 256, greedy: false, temperature: 0.6, topP: 0.5, seed: 7 });
  });
});
