// How much a decoded text looks like something a person wrote, from 0 to 1: the check that picks between
// single-byte encodings the detector confuses (IBM866 Russian read as windows-1252 gives "¯à¨¢¥â"; windows-1250
// Croatian gives "ðino" and "kuæa" for "đino" and "kuća"). Every byte decodes in every such encoding, so only
// the text can tell: the right decode gives letters of one language's alphabet, in words of one case pattern;
// a wrong one gives symbols between letters, control codes, letters no single language uses together, or
// words whose case flips or whose letters mix scripts inside them. Only characters beyond ASCII are judged (ASCII reads the same in all).

// The letters beyond ASCII of the languages legacy single-byte encodings were made for (lower case; upper
// case is folded before the lookup). A text's letters are matched against each, and the best one counts.
const LATIN_ALPHABETS = [
  'àâæçéèêëîïôœùûüÿ', // French
  'äöüß', // German
  'áéíñóúü', // Spanish
  'àèéìíîòóùú', // Italian
  'áâãàçéêíóôõú', // Portuguese
  'àçèéíïòóúü', // Catalan
  'éëïóöü', // Dutch
  'æøåéó', // Danish, Norwegian
  'åäöé', // Swedish
  'äöåšž', // Finnish
  'áðéíóúýþæö', // Icelandic
  'áčďéěíňóřšťúůýž', // Czech
  'áäčďéíĺľňóôŕšťúýž', // Slovak
  'ąćęłńóśźż', // Polish
  'áéíóöőúüű', // Hungarian
  'čćđšž', // Croatian, Bosnian, Serbian in Latin
  'čšž', // Slovene
  'ăâîșțşţ', // Romanian
  'çğıöşüâî', // Turkish
  'äöõüšž', // Estonian
  'āčēģīķļņšūž', // Latvian
  'ąčęėįšųūž', // Lithuanian
  'ëç', // Albanian
];
const CYRILLIC_ALPHABETS = [
  'абвгдежзийклмнопрстуфхцчшщъыьэюяё', // Russian
  'абвгґдеєжзиіїйклмнопрстуфхцчшщьюя', // Ukrainian
  'абвгдеёжзійклмнопрстуўфхцчшыьэюя', // Belarusian
  'абвгдежзийклмнопрстуфхцчшщъьюя', // Bulgarian
  'абвгдђежзијклљмнњопрстћуфхцчџш', // Serbian
  'абвгдѓежзѕијклљмнњопрстќуфхцчџш', // Macedonian
];
const ALPHABETS = [...LATIN_ALPHABETS, ...CYRILLIC_ALPHABETS].map((letters) => new Set(letters));
const LATIN_OR_CYRILLIC = /[\p{Script=Latin}\p{Script=Cyrillic}]/u;

// Typographic marks beyond ASCII that stand between words (quotes, dashes, ellipsis, currency, degrees, the
// no-break space); between two letters only an apostrophe or a middle dot (Catalan l·l) belongs.
const PUNCTUATION = new Set('\u00a0‘’‚“”„«»‹›–—…•·°€£¥§©®™¡¿±×÷½¼¾¹²³µ¶′″');
const IN_WORD = new Set('’·');
// Chinese and Japanese punctuation and full-width forms, which sit between ideographs.
const CJK_PUNCTUATION = /[\u3000-\u303f\uff00-\uffef]/u;

const SAMPLE_CHARS = 65536;

export function plausibility(text: string): number {
  const sample = text.slice(0, SAMPLE_CHARS);
  let judged = 0;
  let fitting = 0;
  // Letters beyond ASCII by lower-case form, in words whose case does not flip inside them.
  const letters = new Map<string, number>();
  const otherScripts = new Map<string, number>();
  for (const word of sample.split(/\s+/)) {
    const chars = [...word];
    const flips = chars.some((c, i) => i > 0 && /\p{Ll}/u.test(chars[i - 1]) && /\p{Lu}/u.test(c));
    const scripts = new Set(chars.filter((c) => ALPHABETIC_SCRIPT.test(c)).map(scriptOf));
    chars.forEach((c, i) => {
      if (c <= '\u007f') return;
      judged++;
      if (/\p{M}/u.test(c)) fitting++;
      else if (/\p{L}/u.test(c)) {
        if (flips || scripts.size > 1) return;
        if (LATIN_OR_CYRILLIC.test(c)) letters.set(c.toLowerCase(), (letters.get(c.toLowerCase()) ?? 0) + 1);
        else {
          const script = scriptOf(c);
          otherScripts.set(script, (otherScripts.get(script) ?? 0) + 1);
        }
      } else if (CJK_PUNCTUATION.test(c)) fitting++;
      else if (PUNCTUATION.has(c)) {
        const between = /\p{L}/u.test(chars[i - 1] ?? '') && /\p{L}/u.test(chars[i + 1] ?? '');
        if (!between || IN_WORD.has(c)) fitting++;
      }
    });
  }
  // The alphabet that holds most of the Latin and Cyrillic letters, and the one other script that holds most
  // of the rest (Greek, Hebrew, Arabic, Thai: their encodings serve one script each).
  let best = 0;
  for (const alphabet of ALPHABETS) {
    let n = 0;
    for (const [letter, count] of letters) if (alphabet.has(letter)) n += count;
    best = Math.max(best, n);
  }
  fitting += best + Math.max(0, ...otherScripts.values());
  return judged === 0 ? 1 : fitting / judged;
}

// Scripts that a wrong single-byte read mixes into one word ("Oщ", "cafй"); CJK lines run without spaces and
// legitimately hold Latin words, so they are left out of that test.
const ALPHABETIC_SCRIPT = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}]/u;

// A letter's script; Japanese writes Han and both kana in one text, so they count as one.
const SCRIPTS: Array<[string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['CJK', /[\p{Script_Extensions=Han}\p{Script_Extensions=Hiragana}\p{Script_Extensions=Katakana}]/u],
];

function scriptOf(c: string): string {
  return SCRIPTS.find(([, test]) => test.test(c))?.[0] ?? 'other';
}
