// What a Settings provider choice means for planning, before anything is loaded: the device it resolves to,
// the memory a fit plan is made against (where the cache will live), and what a conversion for it may use.
import { freemem } from 'node:os';
import type { PlanningMemory, Settings } from '../../common/contract.ts';
import type { ConversionTarget } from '../../../models/model-spec.ts';
import { candidatesFor, type Candidate } from '../engine/provider-choice.ts';

// What the engine would try first for this choice (engine-session.ts tries the same list).
function resolve(choice: Settings['provider']): Candidate {
  return candidatesFor(choice)[0];
}

const ram = (source: string): PlanningMemory => ({ device: 'system memory (RAM)', availableBytes: freemem(), source });

// The memory a candidate's KV cache would live in, where it can be known: free RAM for the cpu, the adapter's
// free memory where the platform tells it (nvidia-smi), else its size; on a Mac the GPU shares RAM. Null for a
// GPU whose memory cannot be known. The fit check (planningMemory) and the engine's refusal before loading
// (engine-session.ts) both plan against this.
export function deviceMemory(candidate: Candidate): PlanningMemory | null {
  if (candidate.provider === 'cpu') return ram('free RAM');
  const adapter = candidate.adapter;
  if (adapter?.freeBytes != null) return { device: `${adapter.name} (VRAM)`, availableBytes: adapter.freeBytes, source: `free device memory (${adapter.source})` };
  if (adapter?.memoryBytes != null) {
    return { device: `${adapter.name} (VRAM)`, availableBytes: adapter.memoryBytes, source: `device memory size (${adapter.source}; free memory unknown)` };
  }
  if (process.platform === 'darwin') return ram(`free RAM (${candidate.provider} shares it on this Mac)`);
  return null;
}

// What a Settings choice plans against before anything loads; where the device's memory is unknown, free RAM,
// and the plan says so.
export function planningMemory(choice: Settings['provider']): PlanningMemory {
  if (choice === 'cpu') return ram('free RAM');
  const candidate = resolve(choice);
  if (candidate.provider === 'cpu') return ram('free RAM (auto runs on the cpu here)');
  return deviceMemory(candidate) ?? ram(`free RAM: ${candidate.provider} device memory is unknown here`);
}

// WebGPU adapters without shader-f16 run fp32 activations only; every other provider runs both.
export function conversionTarget(choice: Settings['provider']): ConversionTarget {
  const candidate = resolve(choice);
  return { provider: candidate.provider, float16: candidate.provider !== 'webgpu' || candidate.adapter?.shaderF16 !== false };
}
