/**
 * One form control per row of the option table (shared/options/spec.ts OPTION_SPECS), generated:
 * an option added to the table appears here without touching the console. Known kinds get a
 * fitting control (number, select, checkbox, text with suggestions); any other kind — one added
 * after this file was written — gets a plain text input, whose value the shared parser validates
 * like any other. A control left at its default contributes nothing to the URL.
 */
import { allowedOf } from '../../../shared/options/describe.js';
import { OPTION_SPECS, type OptionSpec } from '../../../shared/options/spec.js';
import { encodeValue } from '../../../shared/options/values.js';
import { h, uid } from './dom.js';

export interface OptionControl {
  readonly key: string;
  /** The labelled field, ready to append. */
  readonly element: HTMLElement;
  /** The value as URL text, or undefined when left at the default. */
  read(): string | undefined;
  reset(): void;
}

/** What every row has, whatever its kind (a kind this file does not know included). */
interface AnyRow {
  readonly key: string;
  readonly aliases: readonly string[];
  readonly kind: string;
  readonly default?: unknown;
  readonly min?: number | readonly number[];
  readonly max?: number;
  /** What each number of a number-list kind is (`x`, `y`, `w`, `h`). */
  readonly names?: readonly string[];
  readonly shorthand?: true;
  readonly values?: readonly unknown[];
}

export function optionControls(specs: readonly OptionSpec[] = OPTION_SPECS): OptionControl[] {
  return specs.map((spec) => controlFor(spec as AnyRow));
}

function controlFor(row: AnyRow): OptionControl {
  const id = uid(`opt-${row.key}`);
  const hintId = `${id}-hint`;
  // The default as the URL spells it (a number list `0:0:0:0` is `0`), from the shared encoder.
  const fallback = row.default === undefined ? undefined : textOf(row, row.default);
  const labelText = row.aliases.length > 0 ? `${row.key} (${row.aliases.join(', ')})` : row.key;
  const field = makeField(row, id, fallback);
  field.input.setAttribute('aria-describedby', hintId);
  field.input.dataset.option = row.key;
  const element = h(
    'div',
    { class: `option option-${row.kind}` },
    h('label', { for: id }, labelText),
    field.input,
    field.extra,
    h('small', { id: hintId, class: 'hint' }, hintOf(row, fallback)),
  );
  return {
    key: row.key,
    element,
    read: () => {
      const text = field.read().trim();
      return text === '' || text === fallback ? undefined : text;
    },
    reset: field.reset,
  };
}

interface Field {
  input: HTMLInputElement | HTMLSelectElement;
  /** Placed after the input (a datalist of suggestions). */
  extra?: HTMLElement;
  read(): string;
  reset(): void;
}

function makeField(row: AnyRow, id: string, fallback: string | undefined): Field {
  switch (row.kind) {
    case 'int':
    case 'decimal': {
      const input = h('input', {
        id,
        type: 'number',
        min: typeof row.min === 'number' ? row.min : undefined,
        max: row.max,
        step: row.kind === 'int' ? 1 : 'any',
        inputmode: row.kind === 'int' ? 'numeric' : 'decimal',
        placeholder: fallback,
      });
      return textField(input);
    }
    case 'enum': {
      const select = h(
        'select',
        { id },
        h('option', { value: '' }, fallback === undefined ? '(none)' : `${fallback} (default)`),
        ...(row.values ?? [])
          .map((v) => textOf(row, v))
          .filter((v) => v !== fallback)
          .map((v) => h('option', { value: v }, v)),
      );
      return { input: select, read: () => select.value, reset: () => (select.value = '') };
    }
    case 'bool': {
      const input = h('input', { id, type: 'checkbox', checked: fallback === '1' });
      return {
        input,
        read: () => (input.checked ? '1' : '0'),
        reset: () => (input.checked = fallback === '1'),
      };
    }
    case 'gravity': {
      // A named gravity from the list, or a focal point `0.25x0.75` typed in.
      const listId = `${id}-values`;
      const input = h('input', {
        id,
        type: 'text',
        list: listId,
        placeholder: fallback,
        autocomplete: 'off',
      });
      const list = h(
        'datalist',
        { id: listId },
        ...(row.values ?? []).map((v) => h('option', { value: textOf(row, v) })),
      );
      return { ...textField(input), extra: list };
    }
    case 'hex':
      return textField(
        h('input', { id, type: 'text', placeholder: 'rrggbb', autocomplete: 'off', spellcheck: false }),
      );
    default:
      // A kind this console does not know (yet): the text the URL carries, checked by the parser.
      return textField(
        h('input', { id, type: 'text', placeholder: fallback, autocomplete: 'off', spellcheck: false }),
      );
  }
}

function textField(input: HTMLInputElement): Field {
  return { input, read: () => input.value, reset: () => (input.value = '') };
}

function textOf(row: AnyRow, value: unknown): string {
  if (value === true) return '1';
  if (value === false) return '0';
  return Array.isArray(value) ? encodeValue(row as OptionSpec, value) : String(value);
}

function hintOf(row: AnyRow, fallback: string | undefined): string {
  const parts: string[] = [];
  if (typeof row.min === 'number' && row.max !== undefined) parts.push(`${row.min}–${row.max}`);
  if (row.kind === 'gravity') parts.push('a name or a focal point like 0.25x0.75');
  if (row.kind === 'hex') parts.push('hex colour rgb, rrggbb or rrggbbaa');
  if (row.names !== undefined && row.max !== undefined) {
    // A number list: its parts by name, as the URL separates them.
    parts.push(`${row.names.join(':')}, each up to ${row.max}${row.shorthand ? ', or one for all' : ''}`);
  } else if (!['int', 'decimal', 'enum', 'bool', 'gravity', 'hex'].includes(row.kind)) {
    // Any other kind: the grammar as the parser's own errors spell it (a kind added later: its name).
    parts.push(allowedOf(row as OptionSpec) ?? `${row.kind} value`);
  }
  if (fallback !== undefined) parts.push(`default ${fallback}`);
  return parts.join('; ');
}
