import { join } from 'node:path';
import { QuireError } from '../electron/common/errors.ts';
import type { LlamaConfig, RopeConfig } from './hf-config.ts';
import { readJsonFile } from './hf-config.ts';
import type { KvDtype, Precision } from './llama-graph.ts';

// quire.json: what the engine needs to load a converted model folder without reading the graph.
export const MANIFEST_FILE = 'quire.json';
export const MANIFEST_FORMAT = 'quire-model';
export const MANIFEST_VERSION = 1;
export const DEMO_LABEL = 'demo: produces meaningless text';
// Set in a checkpoint's config.json by the tiny-checkpoint generator; the converter carries it into quire.json.
export const DEMO_CONFIG_KEY = 'quire_demo';

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  // Random-weight test and demo models say so wherever they are listed.
  demo: boolean;
  label?: string;
  name: string; // display name: the checkpoint folder's name

  config: LlamaConfig;
  precision: Precision;
  ioDtype: 'fp32' | 'fp16'; // dtype of cos_cache/sin_cache
  kvDtype: KvDtype;
  kvBytesPerToken: number;
  // int8/int4 caches: how the static per-channel scales (graph initializers) were calibrated.
  kvScales?: { method: string; headroom: number; calibrationTokens: number };
  contextTokens: number; // default context the engine builds RoPE tables for
  rope: RopeConfig & { attention_factor: number; hash: string };
  files: { model: string; data: string; tokenizer: string[] };
  parameters: number;
  bytes: { model: number; data: number };
  source: { checksum: string; dtype: string };
}

export function readManifest(dir: string): ModelManifest {
  const raw = readJsonFile(join(dir, MANIFEST_FILE)) as unknown as ModelManifest;
  if (raw.format !== MANIFEST_FORMAT) throw new QuireError('UNSUPPORTED_MODEL', `${dir}: ${MANIFEST_FILE} is not a Quire model manifest`);
  if (raw.version !== MANIFEST_VERSION) throw new QuireError('UNSUPPORTED_MODEL', `${dir}: manifest version ${raw.version} is not supported (want ${MANIFEST_VERSION})`);
  return raw;
}
