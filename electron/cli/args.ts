import { parseArgs, type ParseArgsConfig } from 'node:util';
import { QuireError } from '../common/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

// node:util parseArgs with its errors turned into one-line USAGE errors.
export function parseCommandArgs<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new QuireError('USAGE', `${(error as Error).message.split('\n')[0]} (usage: ${usage})`);
  }
}

export function intOption(value: string | undefined, name: string, { min = 0 } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new QuireError('USAGE', `--${name} wants an integer >= ${min}, got "${value}"`);
  return Number(value);
}

export function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new QuireError('USAGE', `--${name} wants a number, got "${value}"`);
  return n;
}

export function listOption(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  const numbers = parts.map(Number);
  if (parts.length === 0 || numbers.some((n) => !Number.isFinite(n))) {
    throw new QuireError('USAGE', `--${name} wants comma-separated numbers, got "${value}"`);
  }
  return numbers;
}

export function choiceOption<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new QuireError('USAGE', `--${name} wants one of ${allowed.join('|')}, got "${value}"`);
  return value as T;
}
