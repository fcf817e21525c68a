// JSON as a pushdown automaton over bytes, for constrained decoding (the API's response_format): a compiled
// format (any JSON object, or an instance of a JSON Schema subset) and immutable parse states, so that a state
// is "cloned" by keeping a reference and advance(state, byte) returns the next state or null when the byte
// cannot continue a valid prefix. Bytes, not characters: a byte-level BPE token may end inside a UTF-8
// character. Whitespace between tokens is bounded (one space, or a newline and up to 20 spaces or tabs), and
// numbers to NUMBER_MAX_BYTES with a two-digit exponent, so a model cannot stall in padding or digits forever
// and every number is finite.
import { QuireError } from '../../common/errors.ts';

// What the API sends the engine (plain JSON, small): the grammar is built in the engine's process.
export type OutputFormat = { type: 'json_object' } | { type: 'json_schema'; schema: Record<string, unknown> };

export const NUMBER_MAX_BYTES = 24;
const MAX_INDENT = 20;
const MAX_SCHEMA_DEPTH = 32;

interface Literal {
  bytes: Uint8Array;
  // A property name the literal spells (as a quoted key), else ''.
  name: string;
  id: number;
}

type GrammarNode =
  | { kind: 'any'; id: number }
  | { kind: 'object'; id: number; props: Map<string, GrammarNode>; keys: Literal[]; required: string[]; open: boolean }
  | { kind: 'array'; id: number; items: GrammarNode; min: number; max: number }
  | { kind: 'string'; id: number; min: number; max: number }
  | { kind: 'number'; id: number; integer: boolean }
  | { kind: 'literal'; id: number; literals: Literal[] }
  | { kind: 'union'; id: number; options: GrammarNode[] };

type Frame =
  | { t: 'root'; node: GrammarNode; done: boolean }
  | { t: 'lit'; literals: Literal[]; pos: number }
  | { t: 'str'; node: Extract<GrammarNode, { kind: 'string' }>; n: number; esc: number; utf8: number }
  | { t: 'num'; integer: boolean; phase: number; length: number }
  | { t: 'obj'; node: Extract<GrammarNode, { kind: 'object' }>; phase: 'open' | 'key' | 'colon' | 'value' | 'after'; seen: string[]; key: string | null; ws: number }
  | { t: 'arr'; node: Extract<GrammarNode, { kind: 'array' }>; phase: 'open' | 'value' | 'after'; count: number; ws: number };

// A parse state: the innermost frame and what encloses it. Never mutated.
export interface JsonState {
  readonly frame: Frame;
  readonly parent: JsonState | null;
}

const utf8 = new TextEncoder();
const SUPPORTED_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;
// Keywords that describe without constraining: accepted and left to the model.
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', '$schema']);
const KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'minLength', 'maxLength', 'minItems', 'maxItems']);

export class JsonGrammar {
  readonly root: GrammarNode;
  #nextId = 0;

  private constructor(format: OutputFormat) {
    this.root = format.type === 'json_object' ? this.#objectOfAny() : this.#compile(format.schema, 'schema', 0);
  }

  // Refuses, in one line naming it, a schema keyword or shape it cannot enforce.
  static of(format: OutputFormat): JsonGrammar {
    return new JsonGrammar(format);
  }

  start(): JsonState {
    return { frame: { t: 'root', node: this.root, done: false }, parent: null };
  }

  #id(): number {
    return this.#nextId++;
  }

  #objectOfAny(): GrammarNode {
    return { kind: 'object', id: this.#id(), props: new Map(), keys: [], required: [], open: true };
  }

  #compile(schema: unknown, at: string, depth: number): GrammarNode {
    if (depth > MAX_SCHEMA_DEPTH) refuse(`the JSON schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) refuse(`${at} must be a JSON schema object`);
    const s = schema as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key)) refuse(`the JSON schema keyword '${key}' is not supported (at ${at})`);
    }
    if (s.const !== undefined) return this.#literal([s.const]);
    if (s.enum !== undefined) {
      if (!Array.isArray(s.enum) || s.enum.length === 0) refuse(`${at}.enum must be a non-empty array`);
      return this.#literal(s.enum);
    }
    const types = s.type === undefined ? [s.properties ? 'object' : s.items ? 'array' : 'any'] : Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0) refuse(`${at}.type must name at least one type`);
    const options = types.map((type) => this.#typed(type, s, at, depth));
    return options.length === 1 ? options[0] : { kind: 'union', id: this.#id(), options };
  }

  #typed(type: unknown, s: Record<string, unknown>, at: string, depth: number): GrammarNode {
    const id = this.#id();
    switch (type) {
      case 'any':
        return { kind: 'any', id };
      case 'string': {
        const [min, max] = range(s.minLength, s.maxLength, `${at}.minLength`, `${at}.maxLength`);
        return { kind: 'string', id, min, max };
      }
      case 'number':
      case 'integer':
        return { kind: 'number', id, integer: type === 'integer' };
      case 'boolean':
        return this.#literal([true, false]);
      case 'null':
        return this.#literal([null]);
      case 'array': {
        const [min, max] = range(s.minItems, s.maxItems, `${at}.minItems`, `${at}.maxItems`);
        return { kind: 'array', id, items: s.items === undefined ? { kind: 'any', id: this.#id() } : this.#compile(s.items, `${at}.items`, depth + 1), min, max };
      }
      case 'object':
        return this.#object(s, at, depth);
      default:
        return refuse(`the JSON schema type ${JSON.stringify(type)} is not supported (at ${at}.type; supported: ${SUPPORTED_TYPES.join(', ')})`);
    }
  }

  #object(s: Record<string, unknown>, at: string, depth: number): GrammarNode {
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
      refuse(`additionalProperties other than false is not supported (at ${at}): list the properties`);
    }
    const properties = s.properties ?? {};
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) refuse(`${at}.properties must be an object`);
    const props = new Map<string, GrammarNode>();
    for (const [name, sub] of Object.entries(properties)) props.set(name, this.#compile(sub, `${at}.properties.${name}`, depth + 1));
    const required = s.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) refuse(`${at}.required must be an array of property names`);
    for (const name of required as string[]) if (!props.has(name)) refuse(`${at}.required names '${name}', which is not among its properties`);
    // An object schema without properties (and not closed) is any object; one with properties holds only those.
    const open = props.size === 0 && s.additionalProperties !== false;
    const keys = [...props.keys()].map((name) => ({ bytes: utf8.encode(JSON.stringify(name)), name, id: this.#id() }));
    return { kind: 'object', id: this.#id(), props, keys, required: required as string[], open };
  }

  #literal(values: unknown[]): GrammarNode {
    const literals = values.map((value) => ({ bytes: utf8.encode(JSON.stringify(value)), name: '', id: this.#id() }));
    return { kind: 'literal', id: this.#id(), literals };
  }
}

function refuse(message: string): never {
  throw new QuireError('INVALID_INPUT', message);
}

function count(value: unknown, fallback: number, at: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) refuse(`${at} must be a non-negative integer`);
  return value;
}

// A minimum and maximum no value can meet would leave the answer no way to end.
function range(min: unknown, max: unknown, minAt: string, maxAt: string): [number, number] {
  const low = count(min, 0, minAt);
  const high = count(max, Infinity, maxAt);
  if (low > high) refuse(`${minAt} is larger than ${maxAt}`);
  return [low, high];
}

const ANY: GrammarNode = { kind: 'any', id: -1 };
const ANY_OBJECT: Extract<GrammarNode, { kind: 'object' }> = { kind: 'object', id: -2, props: new Map(), keys: [], required: [], open: true };
const ANY_ARRAY: Extract<GrammarNode, { kind: 'array' }> = { kind: 'array', id: -3, items: ANY, min: 0, max: Infinity };
const ANY_STRING: Extract<GrammarNode, { kind: 'string' }> = { kind: 'string', id: -4, min: 0, max: Infinity };
const ANY_NUMBER: GrammarNode = { kind: 'number', id: -5, integer: false };
const ANY_LITERAL: GrammarNode = { kind: 'literal', id: -6, literals: [true, false, null].map((v, i) => ({ bytes: utf8.encode(JSON.stringify(v)), name: '', id: -10 - i })) };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isHex = (b: number) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;

const at = (frame: Frame, parent: JsonState | null): JsonState => ({ frame, parent });

// The state after `b`, or null when no valid output continues with it.
export function advance(s: JsonState, b: number): JsonState | null {
  const f = s.frame;
  switch (f.t) {
    case 'root':
      return f.done ? null : open(s, f.node, b);
    case 'lit': {
      const next = f.literals.filter((l) => l.bytes.length > f.pos && l.bytes[f.pos] === b);
      if (next.length === 0) return f.literals.some((l) => l.bytes.length === f.pos) ? passOn(s, b) : null;
      return settle(at({ t: 'lit', literals: next, pos: f.pos + 1 }, s.parent));
    }
    case 'str':
      return stringByte(s, f, b);
    case 'num':
      return numberByte(s, f, b);
    case 'obj':
      return objectByte(s, f, b);
    case 'arr':
      return arrayByte(s, f, b);
  }
}

// Whether the output so far is one whole value (the end of generation is allowed).
export function complete(s: JsonState): boolean {
  if (s.frame.t === 'root') return s.frame.done;
  return s.parent?.frame.t === 'root' && canEnd(s.frame);
}

// Inside a string at a character boundary with no escape under way: how many more characters it may take
// (Infinity without maxLength); else null. Any run of plain characters (no quote, backslash or control
// character) that fits is then accepted, which lets the mask skip walking them byte by byte.
export function stringRoom(s: JsonState): number | null {
  const f = s.frame;
  return f.t === 'str' && f.esc === 0 && f.utf8 === 0 ? f.node.max - f.n : null;
}

// A key for states that accept the same byte strings up to `horizon` bytes long (a token's length at most):
// counts far from their limits do not matter, so a long string's states share one key.
export function stateKey(s: JsonState, horizon: number): string {
  let key = '';
  for (let p: JsonState | null = s; p; p = p.parent) key += frameKey(p.frame, horizon) + '|';
  return key;
}

function frameKey(f: Frame, horizon: number): string {
  const room = (used: number, max: number) => Math.min(max - used, horizon);
  switch (f.t) {
    case 'root':
      return `r${f.node.id}${f.done ? 'd' : ''}`;
    case 'lit':
      return `l${f.pos}:${f.literals.map((l) => l.id).join(',')}`;
    case 'str':
      return `s${f.node.id}:${Math.min(f.n, f.node.min)}:${room(f.n, f.node.max)}:${f.esc}:${f.utf8}`;
    case 'num':
      return `n${f.integer ? 'i' : ''}${f.phase}:${room(f.length, NUMBER_MAX_BYTES)}`;
    case 'obj':
      return `o${f.node.id}${f.phase}:${f.ws}:${f.key ?? ''}:${f.seen.join(',')}`;
    case 'arr':
      return `a${f.node.id}${f.phase}:${f.ws}:${Math.min(f.count, f.node.min)}:${room(f.count, f.node.max)}`;
  }
}

function canEnd(f: Frame): boolean {
  if (f.t === 'num') return f.phase === 1 || f.phase === 2 || f.phase === 4 || f.phase === 7 || f.phase === 8;
  if (f.t === 'lit') return f.literals.some((l) => l.bytes.length === f.pos);
  return false;
}

// A value that may end here and cannot take `b` ends, and its container takes `b`.
function passOn(s: JsonState, b: number): JsonState | null {
  return advance(finish(s), b);
}

// A literal matched in full with no longer candidate left ends at once.
function settle(s: JsonState): JsonState {
  const f = s.frame;
  return f.t === 'lit' && f.literals.every((l) => l.bytes.length === f.pos) ? finish(s) : s;
}

// The container of a finished value, told it is finished.
function finish(s: JsonState): JsonState {
  const child = s.frame;
  const parent = s.parent!;
  const p = parent.frame;
  if (p.t === 'root') return at({ ...p, done: true }, parent.parent);
  if (p.t === 'arr') return at({ ...p, phase: 'after', count: p.count + 1, ws: 0 }, parent.parent);
  if (p.t === 'obj') {
    if (p.phase === 'open' || p.phase === 'key') {
      const key = child.t === 'lit' ? child.literals.find((l) => l.bytes.length === child.pos)!.name : null;
      return at({ ...p, phase: 'colon', key, ws: 0 }, parent.parent);
    }
    return at({ ...p, phase: 'after', seen: p.key === null ? p.seen : [...p.seen, p.key], key: null, ws: 0 }, parent.parent);
  }
  throw new QuireError('INTERNAL', `a ${child.t} value inside a ${p.t}`);
}

// Starts a value of `node` with its first byte inside `parent`.
function open(parent: JsonState, node: GrammarNode, b: number): JsonState | null {
  switch (node.kind) {
    case 'any':
      if (b === 0x7b) return open(parent, ANY_OBJECT, b);
      if (b === 0x5b) return open(parent, ANY_ARRAY, b);
      if (b === QUOTE) return open(parent, ANY_STRING, b);
      if (b === 0x2d || isDigit(b)) return open(parent, ANY_NUMBER, b);
      return open(parent, ANY_LITERAL, b);
    case 'union':
      for (const option of node.options) {
        const next = open(parent, option, b);
        if (next) return next;
      }
      return null;
    case 'object':
      return b === 0x7b ? at({ t: 'obj', node, phase: 'open', seen: [], key: null, ws: 0 }, parent) : null;
    case 'array':
      return b === 0x5b ? at({ t: 'arr', node, phase: 'open', count: 0, ws: 0 }, parent) : null;
    case 'string':
      return b === QUOTE ? at({ t: 'str', node, n: 0, esc: 0, utf8: 0 }, parent) : null;
    case 'number':
      if (b === 0x2d) return at({ t: 'num', integer: node.integer, phase: 0, length: 1 }, parent);
      if (b === 0x30) return at({ t: 'num', integer: node.integer, phase: 1, length: 1 }, parent);
      return isDigit(b) ? at({ t: 'num', integer: node.integer, phase: 2, length: 1 }, parent) : null;
    case 'literal': {
      const literals = node.literals.filter((l) => l.bytes[0] === b);
      return literals.length ? settle(at({ t: 'lit', literals, pos: 1 }, parent)) : null;
    }
  }
}

function stringByte(s: JsonState, f: Extract<Frame, { t: 'str' }>, b: number): JsonState | null {
  const next = (changes: Partial<typeof f>) => at({ ...f, ...changes }, s.parent);
  if (f.utf8 > 0) return b >= 0x80 && b <= 0xbf ? next({ utf8: f.utf8 - 1 }) : null;
  if (f.esc === 1) {
    if (b === 0x75) return next({ esc: 5 });
    return '"\\/bfnrt'.includes(String.fromCharCode(b)) ? next({ esc: 0, n: f.n + 1 }) : null;
  }
  if (f.esc > 1) return isHex(b) ? next(f.esc === 2 ? { esc: 0, n: f.n + 1 } : { esc: f.esc - 1 }) : null;
  if (b === QUOTE) return f.n >= f.node.min ? finish(s) : null;
  // Every other byte begins a character, which must fit.
  if (f.n >= f.node.max || b < 0x20) return null;
  if (b === BACKSLASH) return next({ esc: 1 });
  if (b < 0x80) return next({ n: f.n + 1 });
  const tail = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
  return tail ? next({ n: f.n + 1, utf8: tail }) : null;
}

// Phases: 0 after '-', 1 a leading 0, 2 integer digits, 3 after '.', 4 fraction digits, 5 after 'e', 6 after
// the exponent's sign, 7 and 8 the exponent's one or two digits: at most two, so that the number (also at most
// NUMBER_MAX_BYTES long) is finite as a double (1e999 would parse as Infinity).
function numberByte(s: JsonState, f: Extract<Frame, { t: 'num' }>, b: number): JsonState | null {
  // A byte is taken only when the number can still end within NUMBER_MAX_BYTES after it.
  const to = (phase: number) => (f.length + 1 + (canEnd({ ...f, phase }) ? 0 : 1) <= NUMBER_MAX_BYTES ? at({ ...f, phase, length: f.length + 1 }, s.parent) : null);
  const digit = isDigit(b);
  const exp = (b === 0x65 || b === 0x45) && !f.integer;
  const dot = b === 0x2e && !f.integer;
  let next: JsonState | null = null;
  switch (f.phase) {
    case 0:
      next = b === 0x30 ? to(1) : digit ? to(2) : null;
      break;
    case 1:
      next = dot ? to(3) : exp ? to(5) : null;
      break;
    case 2:
      next = digit ? to(2) : dot ? to(3) : exp ? to(5) : null;
      break;
    case 3:
      next = digit ? to(4) : null;
      break;
    case 4:
      next = digit ? to(4) : exp ? to(5) : null;
      break;
    case 5:
      next = b === 0x2b || b === 0x2d ? to(6) : digit ? to(7) : null;
      break;
    case 6:
      next = digit ? to(7) : null;
      break;
    case 7:
      next = digit ? to(8) : null;
      break;
  }
  if (next) return next;
  return canEnd(f) ? passOn(s, b) : null;
}

// Whitespace between tokens: one space, or a newline and up to MAX_INDENT spaces or tabs (ws counts the run;
// -1 once it may not grow).
function whitespace(ws: number, b: number): number | null {
  if (b === 0x20 && ws === 0) return -1;
  if (b === 0x0a && ws === 0) return 1;
  if ((b === 0x20 || b === 0x09) && ws >= 1 && ws <= MAX_INDENT) return ws + 1;
  return null;
}

function objectByte(s: JsonState, f: Extract<Frame, { t: 'obj' }>, b: number): JsonState | null {
  if (isSpace(b)) {
    const ws = whitespace(f.ws, b);
    return ws === null ? null : at({ ...f, ws }, s.parent);
  }
  const self = (changes: Partial<typeof f>) => at({ ...f, ...changes, ws: 0 }, s.parent);
  const { node } = f;
  const closable = node.required.every((name) => f.seen.includes(name));
  const remaining = node.keys.filter((k) => !f.seen.includes(k.name));
  switch (f.phase) {
    case 'open':
    case 'key':
      if (b === 0x7d && f.phase === 'open' && closable) return finish(s);
      if (b !== QUOTE) return null;
      if (node.open) return at({ t: 'str', node: ANY_STRING, n: 0, esc: 0, utf8: 0 }, self({}));
      return remaining.length ? at({ t: 'lit', literals: remaining, pos: 1 }, self({})) : null;
    case 'colon':
      return b === 0x3a ? self({ phase: 'value' }) : null;
    case 'value':
      return open(self({}), f.key === null ? ANY : node.props.get(f.key)!, b);
    case 'after':
      if (b === 0x7d) return closable ? finish(s) : null;
      return b === 0x2c && (node.open || remaining.length > 0) ? self({ phase: 'key' }) : null;
  }
}

function arrayByte(s: JsonState, f: Extract<Frame, { t: 'arr' }>, b: number): JsonState | null {
  if (isSpace(b)) {
    const ws = whitespace(f.ws, b);
    return ws === null ? null : at({ ...f, ws }, s.parent);
  }
  const self = (changes: Partial<typeof f>) => at({ ...f, ...changes, ws: 0 }, s.parent);
  const { node } = f;
  if (f.phase === 'after') {
    if (b === 0x5d) return f.count >= node.min ? finish(s) : null;
    return b === 0x2c && f.count < node.max ? self({ phase: 'value' }) : null;
  }
  if (b === 0x5d && f.phase === 'open' && node.min === 0) return finish(s);
  if (f.phase === 'open' && node.max === 0) return null;
  return open(self({}), node.items, b);
}
