import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DocumentModelSchema, type DocumentModel } from '../../../electron/common/document.ts';
import { extractBytes } from '../../../electron/node/documents/extract.ts';

// Legacy-encoded fixtures are written by Python's codecs at test time, so the bytes come from an encoder
// independent of the decoder under test.
const dir = mkdtempSync(join(tmpdir(), 'quire-enc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let serial = 0;
function pythonEncoded(text: string, codec: string, prefix = '', suffix = ''): Uint8Array {
  const path = join(dir, `f${serial++}`);
  const script = 'import sys; open(sys.argv[1], "wb").write((sys.argv[3] + sys.argv[2] + sys.argv[4]).encode(sys.argv[5]))';
  execFileSync('python3', ['-c', script, path, text, prefix, suffix, codec]);
  return new Uint8Array(readFileSync(path));
}

async function extract(name: string, bytes: Uint8Array): Promise<DocumentModel> {
  return DocumentModelSchema.parse(await extractBytes(name, bytes));
}

const JAPANESE =
  '吾輩は猫である。名前はまだ無い。\nどこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。';
const TRADITIONAL = '話說天下大勢，分久必合，合久必分。周末七國分爭，并入於秦。\n及秦滅之後，楚、漢分爭，又并入於漢。';
const SIMPLIFIED = '话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。\n及秦灭之后，楚、汉分争，又并入于汉。';
const KOREAN = '모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다.\n인간은 천부적으로 이성과 양심을 부여받았으며 서로 형제애의 정신으로 행동하여야 한다.';
const RUSSIAN =
  'Все люди рождаются свободными и равными в своем достоинстве и правах.\nОни наделены разумом и совестью и должны поступать в отношении друг друга в духе братства.';
const GREEK = 'Όλοι οι άνθρωποι γεννιούνται ελεύθεροι και ίσοι στην αξιοπρέπεια και τα δικαιώματα.\nΕίναι προικισμένοι με λογική και συνείδηση.';
const HEBREW = 'כל בני האדם נולדו בני חורין ושווים בערכם ובזכויותיהם.\nכולם חוננו בתבונה ובמצפון, לפיכך חובה עליהם לנהוג איש ברעהו ברוח של אחווה.';
const ARABIC = 'يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.\nوقد وهبوا عقلاً وضميرًا وعليهم أن يعامل بعضهم بعضًا بروح الإخاء.';

describe('legacy encodings', () => {
  const cases: Array<[string, string, string]> = [
    ['shift_jis', JAPANESE, 'Shift_JIS'],
    ['euc_jp', JAPANESE, 'EUC-JP'],
    ['big5', TRADITIONAL, 'Big5'],
    ['gb2312', SIMPLIFIED, 'GB18030'],
    ['euc_kr', KOREAN, 'EUC-KR'],
    ['koi8_r', RUSSIAN, 'KOI8-R'],
    ['cp1251', RUSSIAN, 'windows-1251'],
    ['iso8859_7', GREEK, 'ISO-8859-7'],
    ['cp1255', HEBREW, 'windows-1255'],
    ['cp1256', ARABIC, 'windows-1256'],
  ];
  for (const [codec, text, label] of cases) {
    it(`reads ${codec} text as ${label}, not as windows-1252`, async () => {
      const doc = await extract('legacy.txt', pythonEncoded(text, codec));
      expect(doc.text).toBe(text);
      // Only a guess made with low confidence is worth a warning, and it names the encoding used.
      for (const w of doc.warnings) expect(w).toContain(label);
    });
  }

  it('reads single-byte encodings the detector confuses by the plausibility of the text (IBM866, windows-1250)', async () => {
    const russian = await extract('dos.txt', pythonEncoded(RUSSIAN, 'cp866'));
    expect(russian).toMatchObject({ text: RUSSIAN, warnings: [] });
    const croatian = 'Đino, gdje si? Čekam te već sat vremena.\nHoću kući, žao mi je, ali moram ići.';
    const srt = await extract('film.srt', pythonEncoded(`1\n00:00:01,000 --> 00:00:03,000\n${croatian.replace('\n', '\n\n2\n00:00:04,000 --> 00:00:06,000\n')}\n`, 'cp1250'));
    expect(srt.text).toBe(croatian);
    expect(srt.warnings).toEqual([]);
  });

  it('reads Mac Cyrillic, which the detector ranks below windows-1251 (whose capitals are its punctuation)', async () => {
    // As in charset_normalizer's data/sample-russian.txt, which windows-1251 reads as "‚ гимназии" for "В гимназии".
    const text =
      'В гимназии Альберт Эйнштейн не был в числе первых учеников. Укоренившаяся система заучивания ему не нравилась.\n' +
      'Ещё в юности Эйнштейн читал Евклида. Его дядя Якоб учил его алгебре. Учёба давалась ему легко.';
    const doc = await extract('mac.txt', pythonEncoded(text, 'mac_cyrillic'));
    expect(doc.text).toBe(text);
  });

  // uchardet's test/lv/iso-8859-4.txt, test/tr/iso-8859-3.txt and test/pl/iso-8859-16.txt were read as windows-1257,
  // windows-1252 and windows-1250 with letters wrong ("dzīvi" as "dzîvi"): the ISO Latin pages with no Windows twin
  // join the candidates weighed by the text's plausibility.
  it('reads Latvian in ISO-8859-4, Turkish in ISO-8859-3 and Polish in ISO-8859-16', async () => {
    const cases: Array<[string, string]> = [
      ['Visi cilvēki piedzimst brīvi un vienlīdzīgi savā pašcieņā un tiesībās. Viņi ir apveltīti ar saprātu un sirdsapziņu, un viņiem jāizturas citam pret citu brālības garā.', 'iso8859_4'],
      ['Bütün insanlar hür, haysiyet ve haklar bakımından eşit doğarlar. Akıl ve vicdana sahiptirler ve birbirlerine karşı kardeşlik zihniyeti ile hareket etmelidirler.', 'iso8859_3'],
      ['Wszyscy ludzie rodzą się wolni i równi pod względem swej godności i swych praw. Są oni obdarzeni rozumem i sumieniem i powinni postępować wobec innych w duchu braterstwa.', 'iso8859_16'],
    ];
    for (const [text, codec] of cases) expect((await extract(`${codec}.txt`, pythonEncoded(text, codec))).text).toBe(text);
  });

  // uchardet's test/*/ibm852.txt, mac-centraleurope.txt and ru/ibm855.txt: code pages TextDecoder has no table for.
  it('reads DOS and Mac code pages TextDecoder does not know (IBM852, Mac Central European, IBM855)', async () => {
    const czech = 'Ledňáček říční je pták z čeledi ledňáčkovitých. Je velmi výrazně zbarvený s oranžovou spodinou a modrým hřbetem.';
    const cases: Array<[string, string, string]> = [
      [czech, 'cp852', 'ibm852'],
      [czech, 'mac_latin2', 'x-mac-ce'],
      ['Кодовая страница для MS-DOS и подобных ей операционных систем. Включает все символы из набора.', 'cp855', 'ibm855'],
    ];
    for (const [text, codec, label] of cases) {
      const doc = await extract(`${codec}.txt`, pythonEncoded(text, codec));
      expect(doc.text).toBe(text);
      for (const w of doc.warnings) expect(w).toContain(label);
    }
  });

  it('reads EBCDIC (code page 500) text and refuses other EBCDIC code pages by name', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.\nGrüße aus München! Price: 100 [EUR] or more.';
    expect(await extract('mainframe.txt', pythonEncoded(text, 'cp500'))).toMatchObject({ text, warnings: [] });
    const error = await extractBytes('hebrew.txt', pythonEncoded(HEBREW, 'cp424')).catch((e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringContaining('EBCDIC') });
  });

  it('warns when the detector is not confident and another encoding reads as plausibly', async () => {
    // "caffè è" in windows-1252 is "caffč č" in windows-1250: both plausible, so the read is a guess.
    const text = 'Il caffè è buono.';
    const doc = await extract('short.txt', pythonEncoded(text, 'cp1252'));
    expect(doc.text).toBe(text);
    expect(doc.warnings).toEqual([expect.stringMatching(/^the text is not UTF-8; it was read as windows-1252 \(detected with low confidence, \d+%\)/)]);
    // Read as windows-1250 this one would be "Oů est le café, ŕ-bas": only windows-1252 gives French, no guess.
    const french = 'Ça va? Où est le café, là-bas?';
    expect(await extract('short.txt', pythonEncoded(french, 'cp1252'))).toMatchObject({ text: french, warnings: [] });
  });

  it('reads HTML without a declared charset with the same detection (Shift_JIS, windows-1256)', async () => {
    const html = (body: string) => [`<html><head><title>t</title></head><body><p>`, `</p></body></html>`] as const;
    for (const [codec, text] of [
      ['shift_jis', JAPANESE],
      ['cp1256', ARABIC],
    ] as const) {
      const [open, close] = html(text);
      const doc = await extract('page.html', pythonEncoded(text, codec, open, close));
      expect(doc.text, codec).toBe(text.replace(/\n/g, ' '));
    }
  });

  it('reads UTF-16 without a byte-order mark, ASCII-only and Japanese', async () => {
    for (const codec of ['utf-16-le', 'utf-16-be']) {
      for (const text of ['Plain ASCII notes\nwritten by a Windows tool.', JAPANESE]) {
        const doc = await extract('notes.txt', pythonEncoded(text, codec));
        expect(doc.text, `${codec} ${text.slice(0, 5)}`).toBe(text);
        expect(doc.warnings).toEqual([]);
      }
    }
  });

  it('reads UTF-32 with a byte-order mark', async () => {
    for (const codec of ['utf-32', 'utf-32-be']) {
      // Python's "utf-32" writes a little-endian BOM; the big-endian one is written by hand.
      const bytes = codec === 'utf-32' ? pythonEncoded(`${RUSSIAN} 😀`, codec) : pythonEncoded(`\uFEFF${RUSSIAN} 😀`, codec);
      const doc = await extract('notes.txt', bytes);
      expect(doc.text, codec).toBe(`${RUSSIAN} 😀`);
      expect(doc.warnings).toEqual([]);
    }
  });

  it('still refuses binary data that merely has zero bytes', async () => {
    const binary = new Uint8Array(4096).map((_, i) => (i % 2 ? 0 : (i * 31) % 32));
    await expect(extractBytes('data.txt', binary)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });
});
