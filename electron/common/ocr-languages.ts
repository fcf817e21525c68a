// Languages scanned pages can be read in: each one's trained data ships with the app as an npm package
// (@tesseract.js-data/<code>), so OCR never needs the network. Codes are Tesseract's (ISO 639-2/T).
export const OCR_LANGUAGES = ['eng', 'deu', 'fra', 'spa', 'ita', 'por'] as const;
export type OcrLanguage = (typeof OCR_LANGUAGES)[number];

export const OCR_LANGUAGE_NAMES: Record<OcrLanguage, string> = {
  eng: 'English',
  deu: 'German',
  fra: 'French',
  spa: 'Spanish',
  ita: 'Italian',
  por: 'Portuguese',
};

const BY_LOCALE: Record<string, OcrLanguage> = { en: 'eng', de: 'deu', fr: 'fra', es: 'spa', it: 'ita', pt: 'por' };

// The language a new import is read in: the app's locale ("de-AT" → deu) when it is one of ours, else English.
export function ocrLanguageForLocale(locale: string | undefined): OcrLanguage {
  return BY_LOCALE[(locale ?? '').toLowerCase().split(/[-_]/)[0]] ?? 'eng';
}

// The words that mark a document's OCR note among its warnings ("pages 1–240 read by OCR (eng): …"), so the
// library can show it beside the title.
export const OCR_NOTE_MARK = 'read by OCR';

export function ocrNote(warnings: string[]): string | undefined {
  return warnings.find((w) => w.includes(` ${OCR_NOTE_MARK} (`));
}
