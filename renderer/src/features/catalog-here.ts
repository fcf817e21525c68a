import type { CatalogFitOption, CatalogFitReport } from '../../../electron/common/contract.ts';

type ModelHere = CatalogFitReport['models'][number];

// The catalog model Quire recommends on this machine: the most context its recommended choice holds here,
// then the shorter native context (its accuracy per token is the best of the family), then the smaller download.
export function recommendedModel(report: CatalogFitReport, nativeContext: (id: string) => number): string | null {
  const tokens = (m: ModelHere) => m.options.find((o) => o.recommended)?.maxTokens ?? 0;
  const ranked = report.models.filter((m) => tokens(m) > 0).sort((a, b) => tokens(b) - tokens(a) || nativeContext(a.id) - nativeContext(b.id));
  return ranked[0]?.id ?? null;
}

// For a book of `tokens` (its answer's room included): each model with a choice that holds it here, that
// choice being an 8-bit or wider cache where one does, then the smallest weights.
export function modelsHolding(report: CatalogFitReport, tokens: number): { id: string; option: CatalogFitOption; downloadSeconds: number; convertSeconds: number }[] {
  return report.models.flatMap((m) => {
    const holding = m.options.filter((o) => o.maxTokens >= tokens).sort((a, b) => Number(a.kv === 'int4') - Number(b.kv === 'int4') || a.weightBytes - b.weightBytes);
    return holding.length > 0 ? [{ id: m.id, option: holding[0], downloadSeconds: m.downloadSeconds, convertSeconds: m.convertSeconds }] : [];
  });
}
