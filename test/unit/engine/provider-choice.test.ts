import { describe, expect, it } from 'vitest';
import { autoCandidates } from '../../../electron/node/engine/provider-choice.ts';

describe('provider choice', () => {
  it('tries GPU providers where they exist and always ends at cpu', () => {
    expect(autoCandidates('linux', null).map((c) => c.provider)).toEqual(['cpu']);
    expect(autoCandidates('win32', null).map((c) => c.provider)).toEqual(['dml', 'cpu']);
    expect(autoCandidates('darwin', null).map((c) => c.provider)).toEqual(['webgpu', 'cpu']);
    expect(autoCandidates('linux', null)[0].why).toMatch(/no GPU/);
  });
});
