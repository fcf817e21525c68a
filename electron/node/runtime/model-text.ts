// A model's own tokenizer and chat template, loaded from its folder alone (no weights): the fit check counts
// with them before anything is loaded, and the runtime encodes prompts with the same instance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chatTemplateFromConfig, type ChatMessage, type ChatTemplate } from '../../../models/chat-template.ts';
import { loadTokenizer, type Tokenizer, type TokenizerConfigJson } from '../../../models/tokenizer/tokenizer.ts';
import { QuireError } from '../../common/errors.ts';

export interface ModelText {
  tokenizer: Tokenizer;
  template: ChatTemplate;
  encode(messages: ChatMessage[], addGenerationPrompt?: boolean): Uint32Array;
}

// Models whose tokenizers stay parsed (a Llama-3 tokenizer.json is 9 MB of JSON).
const KEPT = 2;
const cache = new Map<string, Promise<ModelText>>();

export function loadModelText(dir: string): Promise<ModelText> {
  let text = cache.get(dir);
  if (!text) {
    text = (async () => {
      const tokenizer = await loadTokenizer(dir);
      let config: TokenizerConfigJson;
      try {
        config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfigJson;
      } catch (error) {
        throw new QuireError('MODEL_CORRUPT', `${dir}: tokenizer_config.json cannot be read (${(error as Error).message.split('\n')[0]})`);
      }
      const template = chatTemplateFromConfig(config);
      return { tokenizer, template, encode: (messages, addGenerationPrompt = false) => template.encode(tokenizer, messages, { addGenerationPrompt }) };
    })();
    // A failure is not remembered: the user may repair the folder and try again.
    text.catch(() => cache.delete(dir));
    cache.set(dir, text);
    if (cache.size > KEPT) cache.delete(cache.keys().next().value!);
  }
  return text;
}
