// Context lengths offered in Settings and by the fit check (the engine caps them at the model's own).
export const CONTEXT_CHOICES = [4_096, 8_192, 16_384, 32_768, 131_072, 262_144, 524_288, 1_048_576, 2_097_152, 4_194_304];

// The smallest offered context that holds `tokens` plus room for the answer.
export function contextFor(tokens: number, answerRoom = 2048): number {
  return CONTEXT_CHOICES.find((c) => c >= tokens + answerRoom) ?? CONTEXT_CHOICES[CONTEXT_CHOICES.length - 1];
}
