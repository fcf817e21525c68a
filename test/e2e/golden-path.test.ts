// The path every real user takes, through the UI in Chromium against the real `quire serve`: a machine with no
// model opens the Models screen, installs the catalog's UltraLong entry with the app's default settings (a hub
// stand-in serves a tiny checkpoint laid out like the real repository), the download is converted, a
// multi-chapter book is imported, a question reads it in full, a follow-up is answered from the cache, the
// server is restarted and the next follow-up is answered from the saved snapshot, and the conversation is
// exported. Run for every provider CI has. The model has random weights: the answers are meaningless, so the
// assertions are about the mechanics (what was read, from where, and that the export is the conversation).
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findCatalogModel } from '../../models/catalog.ts';
import { generateEnglish } from '../../models/tokenizer/tiny.ts';
import { installKv, resolveConversion, type Precision } from '../../models/model-spec.ts';
import type { ConversionChoices } from '../../electron/common/contract.ts';
import { DEFAULT_SETTINGS } from '../../electron/node/settings.ts';
import { makeEpub } from '../unit/documents/fixtures.ts';
import { ARTIFACTS, launchChromium, watchProblems, type PageProblems } from './browser.ts';
import { startFakeHub, writeUltraLongLayout, type FakeHub } from './fake-hub.ts';
import { RpcClient } from './rpc-client.ts';
import { startServe, type ServeProcess } from './serve-process.ts';

const CATALOG_ID = 'ultralong-8b-1m';
const ENTRY = findCatalogModel(CATALOG_ID);
// The catalog's download size is the real repository's: 8.03e9 parameters at 4 bytes, fp32 safetensors.
const CATALOG_DTYPE = ENTRY.downloadBytes / 8.03e9 > 3 ? 'F32' : 'BF16';
// The Models screen's precision when the user picks nothing.
const UI_DEFAULT_PRECISION = 'int4';

const QUESTIONS = ['Who keeps the lighthouse in the first chapter?', 'What happens to the lamp later on?', 'How does the book end?'];
const BOOK_TITLE = 'The Keeper of the North Light';
const CHAPTERS = ['The Arrival', 'The Storm', 'The Lamp', 'The Visitors', 'The Last Watch'];

function book(): Buffer {
  return Buffer.from(
    makeEpub(
      CHAPTERS.map((title, i) => ({
        file: `chapter-${i + 1}.xhtml`,
        title: `Chapter ${i + 1}: ${title}`,
        body: `<h1 id="start">Chapter ${i + 1}: ${title}</h1>${generateEnglish(260, 100 + i)
          .split(/\n\n/)
          .map((p) => `<p>${p.trim()}</p>`)
          .join('')}`,
      })),
      { title: BOOK_TITLE },
    ),
  );
}

interface Variant {
  provider: 'cpu' | 'webgpu';
  dtype: 'F32' | 'BF16';
  env: Record<string, string>;
  // A software GPU decodes about a token a second: its answers are stopped once they have started, which
  // leaves the same mechanics to check (the book read or not, from where, the export).
  stopAnswers: boolean;
}

const swiftshader = (): Record<string, string> => ({
  VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
  XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'quire-xdg-')),
});

// CPU with the catalog's dtype and with the other variant; WebGPU (SwiftShader's Vulkan) with the catalog's.
const VARIANTS: Variant[] = [
  { provider: 'cpu', dtype: CATALOG_DTYPE, env: {}, stopAnswers: false },
  { provider: 'cpu', dtype: CATALOG_DTYPE === 'F32' ? 'BF16' : 'F32', env: {}, stopAnswers: false },
  { provider: 'webgpu', dtype: CATALOG_DTYPE, env: swiftshader(), stopAnswers: true },
];

const number = (text: string) => Number(text.replace(/[^\d]/g, ''));

// Waits for `done` to appear; fails at once, with the app's words, if `failure` appears first.
async function settled(done: Locator, failure: Locator, timeout = 240_000): Promise<void> {
  await Promise.race([
    done.waitFor({ timeout }),
    failure.first().waitFor({ timeout }).then(async () => {
      throw new Error(`the app reported: ${await failure.first().innerText()}`);
    }),
  ]);
}

describe.each(VARIANTS)('the golden path on $provider from the $dtype checkpoint', ({ provider, dtype, env, stopAnswers }) => {
  const tag = `golden-${provider}-${dtype.toLowerCase()}`;
  let hub: FakeHub;
  let server: ServeProcess;
  let rpc: RpcClient;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  let dataDir: string;
  let documentId: string;
  let conversationId: string;
  // Tokens of the book as the prompt holds it, from the fit check.
  let documentTokens = 0;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${tag}-${name}.png`) });

  const start = async () => {
    server = await startServe({ ...env, QUIRE_DATA_DIR: dataDir, HF_ENDPOINT: hub.endpoint, QUIRE_DEFAULT_MODEL: 'none' });
    rpc = await RpcClient.open(server);
    await page.goto(server.url);
  };
  const conversation = async () => {
    const got = await rpc.call('chat.get', { id: conversationId });
    expect(got.error).toBeUndefined();
    return got.value as { messages: { role: string; content: string; stats: { documentSource: string | null; promptTokens: number; prefilledTokens: number; generatedTokens: number; stopped: boolean } | null }[]; modelId: string };
  };
  // Asks in the UI and waits for the answer's foot (its stats line); returns that answer's stats as the UI shows them.
  const ask = async (question: string, index: number) => {
    await page.getByLabel('Question').fill(question);
    await page.keyboard.press('Enter');
    if (stopAnswers) {
      await settled(page.locator('.message.assistant.streaming .answer-text'), page.locator('.notice.error'));
      await page.getByRole('button', { name: 'Stop' }).click();
    }
    const answer = page.locator('.message.assistant').nth(index);
    await settled(answer.locator('.message-foot'), page.locator('.notice.error'));
    const stats = answer.locator('.stats');
    const foot = await stats.innerText();
    const title = (await stats.getAttribute('title'))!;
    return {
      foot,
      processed: number(/([\d,]+) tokens processed/.exec(foot)![1]),
      promptTokens: number(/([\d,]+) prompt tokens/.exec(title)![1]),
    };
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const repoDir = mkdtempSync(join(tmpdir(), 'quire-hub-ultralong-'));
    await writeUltraLongLayout(repoDir, dtype);
    hub = await startFakeHub(ENTRY.hfRepo, repoDir, { bytesPerTick: 64 * 1024, redirectLfs: true });
    dataDir = mkdtempSync(join(tmpdir(), `quire-e2e-${tag}-`));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    problems = await watchProblems(page);
    await start();
    // No model at all: the app opens on the catalog.
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
  }, 180_000);

  // Each step needs the one before: after a failure the rest fail at once, naming it, instead of timing out.
  let failedStep: string | null = null;
  beforeEach(() => {
    if (failedStep) throw new Error(`not run: the step "${failedStep}" failed`);
  });
  // A failed step leaves a picture of the page behind.
  afterEach(async ({ task }) => {
    if (task.result?.state !== 'fail' || failedStep) return;
    failedStep = task.name;
    console.log(`[${tag}] page errors: ${JSON.stringify(problems.pageErrors)}; console errors: ${JSON.stringify(problems.console)}`);
    await shot(`failed-${task.name.split(':')[0].replace(/\W+/g, '-')}`).catch(() => {});
  });

  afterAll(async () => {
    rpc?.close();
    await browser?.close();
    await server?.stop();
    await hub?.close();
  });

  it(`uses ${provider}`, async () => {
    if (provider !== 'cpu') {
      // Automatic never picks a software GPU: the user chooses it in Settings, before installing, so that the
      // model is converted for it. Nothing else in Settings is touched.
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByLabel('Execution provider').selectOption(provider);
      await page.getByRole('button', { name: /Models/ }).click();
    }
    const { modelId: _, ...defaults } = DEFAULT_SETTINGS;
    expect((await rpc.call('settings.get')).value).toMatchObject({ ...defaults, provider: provider === 'cpu' ? defaults.provider : provider });
  });

  it('installs the catalog entry with the default settings: download, convert, in use', { timeout: 300_000 }, async () => {
    // What the screen offers on this provider: the Settings cache and the default precision where the device
    // runs them (the default GPU install of the model-spec issue: int4 weights, fp16 activations and cache), else
    // the first it does — SwiftShader has no 16-bit floats, so there it is fp32 weights with an fp32 cache.
    const choices = (await rpc.call('models.choices')).value as ConversionChoices;
    const kv = installKv(choices.choices, DEFAULT_SETTINGS.kvDtype)!;
    const precision = (['int4', 'fp16', 'fp32'] as Precision[]).find((p) => choices.choices.some((c) => c.precision === p && c.kv === kv))!;
    const expected = resolveConversion({ precision, kv }, { provider: choices.provider as 'cpu', float16: choices.float16 });
    if (provider === 'cpu') expect(expected).toEqual({ precision: UI_DEFAULT_PRECISION, io: 'fp16', kv: DEFAULT_SETTINGS.kvDtype });
    else expect({ float16: choices.float16, precision, kv }).toEqual({ float16: false, precision: 'fp32', kv: 'fp32' });
    const card = page.getByRole('list', { name: 'Model catalog' }).getByRole('listitem').filter({ has: page.getByText(ENTRY.name, { exact: true }) });
    // The page reloads what this device runs after the provider changed in Settings: wait for it to arrive.
    await expect.poll(() => card.getByRole('combobox').inputValue(), { timeout: 30_000 }).toBe(precision);
    // Nothing the device cannot run is offered.
    const offered = await card.getByRole('combobox').locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(offered.every((p) => choices.choices.some((c) => c.precision === p && c.kv === kv))).toBe(true);
    if (kv !== DEFAULT_SETTINGS.kvDtype) await card.getByText(`Document cache ${kv.toUpperCase()}: the one chosen in Settings does not run here`).waitFor();
    await card.getByRole('button', { name: 'Download and convert' }).click();
    await settled(page.getByTestId(`install-${CATALOG_ID}`).getByText(/Downloading [\d.]+ [kKMG]?B of [\d.]+ [kKMG]?B/), card.locator('.install-error'), 30_000);
    await shot('installing');
    const installed = page.getByRole('list', { name: 'Installed models' });
    await settled(installed.getByText(ENTRY.name, { exact: true }), card.locator('.install-error'));
    const facts = await installed.innerText();
    expect(facts).toContain(precision);
    expect(facts).toMatch(new RegExp(`${kv.toUpperCase()} · [\\d.]+ [kKMG]?B/token`));
    expect(await installed.getByRole('button', { name: 'In use' }).count()).toBe(1);
    await shot('installed');

    // What the hub sent: every file a conversion needs, through the CDN redirect for the weights, nothing else.
    expect([...new Set(hub.served)].sort()).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors.index.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', ...Array.from({ length: 4 }, (_, i) => `model-0000${i + 1}-of-00004.safetensors`)].sort(),
    );
    // The converted model: the default precision and cache, the real model's RoPE, template and sampling.
    const manifest = JSON.parse(readFileSync(join(dataDir, 'models', CATALOG_ID, 'quire.json'), 'utf8'));
    expect(manifest).toMatchObject({
      demo: false,
      precision,
      ioDtype: expected.io,
      kvDtype: kv,
      promptStyle: 'instructions',
      generation: { greedy: false, temperature: 0.6, topP: 0.9 },
      source: { dtype },
      config: { maxPositionEmbeddings: 1_048_576 },
      rope: { rope_type: 'yarn', factor: 128, original_max_position_embeddings: 8192, beta_fast: 4, beta_slow: 1, rope_theta: 500_000 },
    });
    expect(manifest.files.tokenizer).toEqual(expect.arrayContaining(['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json']));
    expect(JSON.parse(readFileSync(join(dataDir, 'models', CATALOG_ID, 'tokenizer_config.json'), 'utf8')).chat_template).toMatch(/<\|start_header_id\|>/);
    // The raw download is gone once converted.
    expect(existsSync(join(dataDir, 'downloads', CATALOG_ID))).toBe(false);
  });

  it('imports a multi-chapter book', async () => {
    await page.getByRole('button', { name: /Library/ }).click();
    await page.setInputFiles('input[type=file]', [{ name: 'north-light.epub', mimeType: 'application/epub+zip', buffer: book() }]);
    const row = page.getByRole('row', { name: new RegExp(BOOK_TITLE) });
    await row.waitFor({ timeout: 60_000 });
    type Entry = { id: string; title: string; format: string; tokens: number | null };
    const library = async () => (await rpc.call('library.list')).value as Entry[];
    // Counted with the installed model's tokenizer (in the background).
    await expect.poll(async () => (await library())[0]?.tokens ?? 0, { timeout: 60_000 }).toBeGreaterThan(1500);
    const list = await library();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ title: BOOK_TITLE, format: 'epub' });
    documentId = list[0].id;
    const doc = (await rpc.call('library.get', { id: documentId })).value as { anchors: { kind: string; label: string }[] };
    expect(doc.anchors.filter((a) => a.kind === 'chapter').map((a) => a.label)).toEqual(CHAPTERS.map((t, i) => `Chapter ${i + 1}: ${t}`));
    await shot('library');
  });

  it('asks a question: the book is read in full and cached', { timeout: 300_000 }, async () => {
    await page.getByRole('row', { name: new RegExp(BOOK_TITLE) }).getByRole('button', { name: 'Ask' }).click();
    await page.getByRole('heading', { level: 1, name: 'New conversation' }).waitFor();
    const fit = page.getByTestId('fit').filter({ hasText: 'fits the' });
    await fit.waitFor({ timeout: 60_000 });
    documentTokens = number(/([\d,]+) tokens — fits/.exec(await fit.innerText())![1]);
    expect(documentTokens).toBeGreaterThan(1500);
    // The stand-in model is random and answers are sampled with the model's own settings: a fixed seed keeps an
    // end of turn from being its first token by chance ("No answer.", seen once in CI), so every run is the same.
    await rpc.call('settings.update', { answerStyle: { instructions: '', temperature: null, topP: null, seed: 1 } });
    const first = await ask(QUESTIONS[0], 0);
    expect(first.foot).toMatch(/documents read in full and cached for follow-ups/);
    expect(first.processed).toBe(first.promptTokens);
    expect(first.promptTokens).toBeGreaterThan(documentTokens);
    conversationId = ((await rpc.call('chat.list')).value as { id: string }[])[0].id;
    const answer = (await conversation()).messages[1];
    expect(answer.stats).toMatchObject({ documentSource: 'prefill', promptTokens: first.promptTokens, prefilledTokens: first.processed, stopped: stopAnswers });
    // A stopped answer keeps the text it streamed.
    if (stopAnswers) expect(answer.content.length).toBeGreaterThan(0);
    else expect(answer.stats!.generatedTokens).toBeGreaterThan(0);
    await shot('first-answer');
  });

  it('answers a follow-up from the cache: not one token of the book is read again', { timeout: 300_000 }, async () => {
    const second = await ask(QUESTIONS[1], 1);
    expect(second.foot).toMatch(/documents were already in memory/);
    expect(second.promptTokens).toBeGreaterThan(documentTokens);
    expect(second.processed).toBeLessThanOrEqual(second.promptTokens - documentTokens);
    expect((await conversation()).messages[3].stats).toMatchObject({ documentSource: 'cache', prefilledTokens: second.processed });
    await expect(page.getByTestId('documents-ready').isVisible()).resolves.toBe(true);
    await shot('follow-up-cache');
  });

  it('after a restart of the server, answers the next follow-up from the saved snapshot', { timeout: 300_000 }, async () => {
    rpc.close();
    await server.stop();
    await start();
    // With a model installed the app opens on the Library once it has loaded.
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    await page.getByRole('button', { name: /Chat/ }).click();
    await page.locator('.conversation-item', { hasText: QUESTIONS[0] }).click();
    await page.locator('.message.assistant').nth(1).waitFor();
    const third = await ask(QUESTIONS[2], 2);
    expect(third.foot).toMatch(/documents restored from their saved cache/);
    expect(third.processed).toBeLessThanOrEqual(third.promptTokens - documentTokens);
    expect((await conversation()).messages[5].stats).toMatchObject({ documentSource: 'snapshot', prefilledTokens: third.processed });
    const engine = (await rpc.call('models.engine')).value as { loaded: boolean; provider: string | null; modelId: string | null };
    expect(engine).toMatchObject({ loaded: true, provider, modelId: CATALOG_ID });
    await shot('follow-up-snapshot');
  });

  it('exports the conversation to Markdown and JSON: the questions, the answers as given, the book', async () => {
    const exportAs = async (label: string, extension: string) => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('group', { name: 'Export conversation' }).getByRole('button', { name: label }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`\\.${extension}$`));
      const path = join(ARTIFACTS, `${tag}-${download.suggestedFilename()}`);
      await download.saveAs(path);
      return readFileSync(path, 'utf8');
    };
    const markdown = await exportAs('Markdown', 'md');
    const { messages, modelId } = await conversation();
    expect(modelId).toBe(CATALOG_ID);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(markdown).toContain(`· model ${CATALOG_ID}`);
    expect(markdown).toMatch(new RegExp(`- \\*\\*${BOOK_TITLE}\\*\\* \\(EPUB, [\\d,]+ characters, [\\d,]+ tokens\\)`));
    // Each exchange in order: the question quoted, then the answer exactly as the conversation holds it.
    let at = 0;
    for (let i = 0; i < 3; i++) {
      const section = `## Question ${i + 1}\n\n> ${QUESTIONS[i]}\n\n### Answer\n\n${messages[2 * i + 1].content || '_(no answer)_'}`;
      const found = markdown.indexOf(section, at);
      expect(found, `exchange ${i + 1} in order`).toBeGreaterThanOrEqual(at);
      at = found + section.length;
    }
    expect(markdown.match(/^## Question /gm)).toHaveLength(3);

    const json = JSON.parse(await exportAs('JSON', 'json'));
    expect(json).toMatchObject({ format: 'quire-export', model: CATALOG_ID });
    expect(json.documents).toEqual([expect.objectContaining({ id: documentId, title: BOOK_TITLE, format: 'epub' })]);
    expect(json.exchanges.map((x: { question: string; answer: string; stopped: boolean }) => [x.question, x.answer, x.stopped])).toEqual(
      QUESTIONS.map((q, i) => [q, messages[2 * i + 1].content, stopAnswers]),
    );
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });
});
