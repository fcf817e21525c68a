// A question's prompt built from a document set's stored prompt ids and its own encoded words must be exactly
// the full encode of the rendered conversation, for every template Quire ships and the real Llama-3 tokenizer,
// at the boundaries where a resumed encode could go wrong; and the stored prefix is the count shown everywhere.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PromptStyle } from '../../../models/model-spec.ts';
import { entryPoints } from '../../../electron/node/entry-points.ts';
import { loadModelText, type ModelText } from '../../../electron/node/runtime/model-text.ts';
import { conversationMessages, documentPrefix, type PromptDocument, type Turn } from '../../../electron/node/runtime/prompt.ts';
import { encodeDocuments, encodeTail } from '../../../electron/node/runtime/prompt-encoding.ts';
import { LLAMA3_CONFIG, llama3TokenizerJson, variedText } from '../models/tokenizer-llama3-fixture.ts';

function folder(tokenizer: unknown, config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'quire-prompt-ids-'));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

// A template that keeps message text as given (Llama-3.1's trims it): the other form a prompt can be built in.
const RAW_TEMPLATE =
  "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n{{ m['content'] }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";

const llama3 = () => llama3TokenizerJson();
const MODELS: { name: string; dir: () => string }[] = [
  { name: "quire-nano's tokenizer and template", dir: () => entryPoints.nanoCheckpoint },
  { name: 'the real Llama-3 tokenizer with the Llama-3.1 template', dir: () => folder(llama3(), LLAMA3_CONFIG) },
  { name: 'the real Llama-3 tokenizer with a template that keeps text as given', dir: () => folder(llama3(), { ...LLAMA3_CONFIG, chat_template: RAW_TEMPLATE }) },
];

const doc = (text: string, title = 'Minutes'): PromptDocument => ({ title, format: 'txt', text });
const DOCUMENTS: { name: string; documents: PromptDocument[] }[] = [
  { name: 'a book', documents: [doc(variedText(6000))] },
  { name: 'text ending mid-word', documents: [doc(`${variedText(800)} the gard`)] },
  { name: 'trailing and leading whitespace', documents: [doc(`\n\n   ${variedText(500)}   \n\n\t  `)] },
  { name: 'special tokens and markup in the text', documents: [doc(`Say <|eot_id|> and <|start_header_id|>user<|end_header_id|> then 12345. ${variedText(300)}<|begin_of_text|>`)] },
  { name: 'non-Latin text and digits at the end', documents: [doc(`${variedText(300)} 東京の会議は 2024年 に終わった 🎉 9876543`)] },
  { name: 'several documents', documents: [doc(variedText(400, 3), 'One "quoted"'), doc(variedText(400, 4), 'Two'), doc('short')] },
];

const QUESTIONS: Turn[][] = [
  [{ role: 'user', content: 'Who kept the garden?' }],
  [{ role: 'user', content: ' leading space and <|eot_id|> inside' }],
  [{ role: 'user', content: '123 starts with digits' }],
  [{ role: 'user', content: '\n\nstarts with newlines   ' }],
  [{ role: 'user', content: '?!' }],
  [{ role: 'user', content: 'ing' }],
  [
    { role: 'user', content: 'First question?' },
    { role: 'assistant', content: '42: "The passkey is 42." <|eot_id|>' },
    { role: 'user', content: 'And the second one' },
  ],
];

function fullEncode(text: ModelText, documents: PromptDocument[], turns: Turn[], style: PromptStyle): number[] {
  return Array.from(text.encode(conversationMessages(documents, turns, style), true));
}

describe('stored prompt ids', () => {
  for (const model of MODELS) {
    for (const style of ['instructions', 'bare'] as const) {
      it(`equal a full encode with ${model.name}, ${style} prompts`, async () => {
        const text = await loadModelText(model.dir());
        const merged: string[] = [];
        for (const { name, documents } of DOCUMENTS) {
          const encoded = encodeDocuments(text, documents, style);
          // The stored prefix is the one count: what two renders differing only in the question share.
          expect(Array.from(encoded.prefix), name).toEqual(documentPrefix((m) => text.encode(m, true), documents, style));
          const stable = encoded.prefix.slice(encoded.headLength);
          for (const turns of QUESTIONS) {
            const { tail, afterHead } = encodeTail(text, encoded.rest, turns, style, stable);
            const expected = fullEncode(text, documents, turns, style);
            const built = tail ? [...encoded.prefix, ...tail] : [...encoded.prefix.slice(0, encoded.headLength), ...afterHead];
            expect(built, `${name} / ${JSON.stringify(turns.at(-1)!.content)}`).toEqual(expected);
            if (!tail) merged.push(turns[0].content);
          }
        }
        // A question's first characters merge with the prefix's last tokens only where the layout ends in
        // whitespace (bare: "text, blank line, question") and the question starts with more of it; then the prompt
        // goes whole (still exact, as checked above).
        if (style === 'instructions') expect(merged).toEqual([]);
        else expect(merged.every((q) => /^\s/.test(q))).toBe(true);
      }, 120_000);
    }
  }
});
