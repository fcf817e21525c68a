import type { DocumentModel } from '../../common/document.ts';
import { QuireError } from '../../common/errors.ts';
import { decodePlain } from './text.ts';
import { TextBuilder } from './text-builder.ts';

// SRT files are often written by hand, so one-digit fields and either decimal sign are read; WebVTT's timestamps
// are read as its specification (and every browser) reads them: two-digit minutes and seconds, three-digit
// milliseconds after a dot, so a cue a player never shows is not read either.
const TIMESTAMP = { srt: /^(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})$/, vtt: /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/ };
// WebVTT's whitespace: a vertical tab is not.
const VTT_SPACE = /^[ \t\f]+|[ \t\f]+$/g;

function parseTimestamp(raw: string, format: 'srt' | 'vtt'): number | undefined {
  const m = TIMESTAMP[format].exec(raw);
  if (!m) return undefined;
  const [hours, minutes, seconds] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3])];
  if (minutes > 59 || seconds > 59) return undefined;
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + Number(m[4].padEnd(3, '0'));
}

// Cue labels use the SRT form everywhere, so citations read the same for both formats.
export function formatTimestamp(ms: number): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const hours = Math.floor(ms / 3_600_000);
  return `${pad(hours)}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)},${pad(ms % 1000, 3)}`;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', lrm: '', rlm: '' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[body.toLowerCase()] ?? whole;
  });
}

// A cue's payload as lines of `Speaker: words` (WebVTT `<v Speaker>` spans) or plain words, with every other
// tag (<i>, <c.class>, <00:01.000>, <font>) and ASS overrides ({\an8}) stripped.
function cueLines(payload: string): string[] {
  const segments: Array<{ speaker: string; text: string }> = [];
  let speaker = '';
  let text = '';
  const flush = () => {
    const words = decodeEntities(text).replace(/\s+/g, ' ').trim();
    if (words) {
      const last = segments[segments.length - 1];
      if (last && last.speaker === speaker) last.text += ` ${words}`;
      else segments.push({ speaker, text: words });
    }
    text = '';
  };
  const source = payload.replace(/\{\\[^}]*\}/g, '');
  const tags = /<([^>]*)>/g;
  let at = 0;
  for (let m = tags.exec(source); m; m = tags.exec(source)) {
    text += source.slice(at, m.index);
    at = m.index + m[0].length;
    const voice = /^v(?:\.[^\s>]*)?\s+([^>]*)$/.exec(m[1]);
    if (voice) {
      flush();
      speaker = decodeEntities(voice[1]).trim();
    } else if (m[1] === '/v') {
      flush();
      speaker = '';
    }
  }
  text += source.slice(at);
  flush();
  return segments.map((s) => (s.speaker ? `${s.speaker}: ${s.text}` : s.text));
}

function parseTiming(line: string, format: 'srt' | 'vtt'): { start: number; end: number } | undefined {
  if (!line.includes('-->')) return undefined;
  const [from, to] = line.split('-->').map((part) => (format === 'vtt' ? part.replace(VTT_SPACE, '') : part.trim()));
  const start = parseTimestamp(from, format);
  // The end time is the timestamp's own characters: WebVTT's parser stops there, so cue settings glued on
  // (after a NUL read as U+FFFD) do not void the cue.
  const end = parseTimestamp(to.match(/^[\d:.,]*/)![0], format);
  return start === undefined || end === undefined ? undefined : { start, end };
}

type Cue = { start: number; payload: string[] };

// The cues of a file's text, its timestamps read in the given form.
function readCues(text: string, format: 'srt' | 'vtt', timestamps: 'srt' | 'vtt'): { cues: Cue[]; malformed: number } {
  const blocks = text.split(/\n[ \t]*\n/);
  const cues: Cue[] = [];
  let malformed = 0;
  for (const [index, block] of blocks.entries()) {
    const lines = block.split('\n');
    while (lines.length && lines[0].trim() === '') lines.shift();
    if (lines.length === 0) continue;
    // A timing line ends WebVTT's header block without a blank line: the cue it starts is read.
    if (index === 0 && /^WEBVTT(?:[ \t]|$)/.test(lines[0])) {
      const cueAt = lines.findIndex((l, i) => i > 0 && parseTiming(l, timestamps));
      if (cueAt < 0) continue;
      lines.splice(0, cueAt);
    }
    if (/^(?:NOTE|STYLE|REGION)(?:[ \t]|$)/.test(lines[0])) continue;
    // The timing line is the first of the two that parses: a stray "-->" line before it is an identifier.
    const timing = lines.slice(0, 2).findIndex((l) => parseTiming(l, timestamps));
    const first = timing < 0 ? undefined : parseTiming(lines[timing], timestamps);
    if (!first) {
      // In SRT a blank line ends a cue only where a counter and a timing line follow: text after a blank line
      // inside a cue (a verse, a second speaker) is still that cue's. A block that starts with a counter but
      // has no timing is a damaged cue. WebVTT ends cue text at the blank line, as its parser does.
      if (format === 'srt' && cues.length && !/^\s*\d+\s*$/.test(lines[0])) cues[cues.length - 1].payload.push('', ...lines);
      else malformed++;
      continue;
    }
    // A timing line inside cue text starts the next cue: files written without the blank line between
    // cues are common, and WebVTT's own parser ends cue text at any line holding "-->". In SRT the line
    // before it is the next cue's counter, not text.
    let cue = { start: first.start, payload: [] as string[] };
    cues.push(cue);
    for (const line of lines.slice(timing + 1)) {
      const next = parseTiming(line, timestamps);
      if (!next) {
        cue.payload.push(line);
        continue;
      }
      // In WebVTT a line holding "-->" ends cue text: one right before a timing line is that cue's identifier.
      const last = cue.payload.at(-1);
      if (last !== undefined && (format === 'srt' ? /^\s*\d+\s*$/.test(last) : last.includes('-->'))) cue.payload.pop();
      cue = { start: next.start, payload: [] };
      cues.push(cue);
    }
  }
  return { cues, malformed };
}

// A WebVTT file's NULs are read as U+FFFD, as the specification's parser does, rather than refusing the file. One
// whose timestamps are all out of WebVTT's form (SRT's commas, one-digit fields) is still read, as written, and
// said so: it is a transcript the user has, though no player would show it.
export function extractSubtitles(bytes: Uint8Array, title: string, format: 'srt' | 'vtt'): DocumentModel {
  const { text, warnings } = decodePlain(bytes, undefined, { nul: format === 'vtt' ? '\uFFFD' : undefined });
  let { cues, malformed } = readCues(text, format, format);
  if (format === 'vtt' && cues.length === 0) {
    const asWritten = readCues(text, format, 'srt');
    if (asWritten.cues.length) {
      ({ cues, malformed } = asWritten);
      warnings.push("the cue timestamps are not in WebVTT's form (hh:mm:ss.ttt): they were read as written");
    }
  }
  if (cues.length === 0 && malformed > 0) throw new QuireError('CORRUPT', `no valid ${format.toUpperCase()} cues (${malformed} malformed blocks)`);
  if (malformed > 0) warnings.push(`${malformed} malformed subtitle blocks were skipped`);
  const builder = new TextBuilder();
  for (const { start, payload } of cues) {
    const anchor = builder.open('cue', formatTimestamp(start));
    for (const line of cueLines(payload.join('\n'))) {
      builder.append(line);
      builder.separate('\n');
    }
    builder.close(anchor);
    builder.separate('\n');
  }
  return builder.model(format, title, warnings);
}
