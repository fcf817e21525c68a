// Single-byte code pages that text files still come in but the Encoding Standard (TextDecoder) has no table for:
// DOS Central European and Cyrillic (IBM852, IBM855) and Mac Central European. Bytes below 0x80 are ASCII; the
// upper halves are written out from Python's codecs (cp852, cp855, mac_latin2), an encoder independent of ours.
const UPPER_HALVES: Record<string, string> = {
  // DOS Central European (Python's cp852)
  'ibm852': [
    'ÇüéâäůćçłëŐőîŹÄĆÉĹĺôöĽľŚśÖÜŤťŁ×č',
    'áíóúĄąŽžĘę¬źČş«»░▒▓│┤ÁÂĚŞ╣║╗╝Żż┐',
    '└┴┬├─┼Ăă╚╔╩╦╠═╬¤đĐĎËďŇÍÎě┘┌█▄ŢŮ▀',
    'ÓßÔŃńňŠšŔÚŕŰýÝţ´\u00ad˝˛ˇ˘§÷¸°¨˙űŘř■\u00a0',
  ].join(''),
  // DOS Cyrillic (Python's cp855)
  'ibm855': [
    'ђЂѓЃёЁєЄѕЅіІїЇјЈљЉњЊћЋќЌўЎџЏюЮъЪ',
    'аАбБцЦдДеЕфФгГ«»░▒▓│┤хХиИ╣║╗╝йЙ┐',
    '└┴┬├─┼кК╚╔╩╦╠═╬¤лЛмМнНоОп┘┌█▄Пя▀',
    'ЯрРсСтТуУжЖвВьЬ№\u00adыЫзЗшШэЭщЩчЧ§■\u00a0',
  ].join(''),
  // Mac Central European (Python's mac_latin2)
  'x-mac-ce': [
    'ÄĀāÉĄÖÜáąČäčĆćéŹźĎíďĒēĖóėôöõúĚěü',
    '†°Ę£§•¶ß®©™ę¨≠ģĮįĪ≤≥īĶ∂∑łĻļĽľĹĺŅ',
    'ņŃ¬√ńŇ∆«»…\u00a0ňŐÕőŌ–—“”‘’÷◊ōŔŕŘ‹›řŖ',
    'ŗŠ‚„šŚśÁŤťÍŽžŪÓÔūŮÚůŰűŲųÝýķŻŁżĢˇ',
  ].join(''),
};

export const CODE_PAGES = Object.keys(UPPER_HALVES);

export function decodeCodePage(bytes: Uint8Array, name: string): string {
  const upper = UPPER_HALVES[name];
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...Array.from(bytes.subarray(i, i + 8192), (b) => (b < 0x80 ? b : upper.charCodeAt(b - 0x80))));
  }
  return text;
}
