/**
 * A one-question select prompt for terminals (`tsbpf new` asks for the program type): arrow keys
 * move, a letter jumps to the next choice starting with it, Enter picks, Ctrl-C or Esc
 * cancels. Written on node:readline's keypress events instead of a prompt library: ~150 lines
 * cover what we ask, and tsbpf keeps a single runtime dependency (docs/architecture.md).
 *
 * Choices the caller cannot accept stay listed; `check` returns why, and the prompt shows that
 * under the list and waits for another choice.
 */
import { emitKeypressEvents } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface SelectChoice {
  value: string;
  /** Shown after the value, dimmed (e.g. "not supported yet"). */
  note?: string;
}

/** What the prompt reads: a TTY stream in raw mode (or a test double with the same methods). */
export interface PromptInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

export interface SelectOptions {
  message: string;
  choices: readonly SelectChoice[];
  /** Value selected at first. */
  initial?: string;
  input: PromptInput;
  output: Writable;
  /** Colours and the dim notes (default: on). */
  color?: boolean;
  /** Why `value` cannot be picked, or undefined to accept it. */
  check?: (value: string) => string | undefined;
}

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

const ESC = '\x1b[';

/** Asks; resolves with the chosen value, or undefined when the user cancelled. */
export function select(o: SelectOptions): Promise<string | undefined> {
  if (o.choices.length === 0) return Promise.resolve(undefined);
  const color = o.color ?? true;
  const paint = (code: string, text: string): string => (color ? `${ESC}${code}m${text}${ESC}0m` : text);
  let index = Math.max(0, o.choices.findIndex((c) => c.value === o.initial));
  let message: string | undefined; // the last refusal, shown under the list
  let drawn = 0; // terminal rows written by the last render (the cursor sits on the last one)
  const width = Math.max(...o.choices.map((c) => c.value.length));
  // Rows a line takes: long lines (a refusal) wrap at the terminal's width.
  const rows = (line: string): number => {
    const cols = (o.output as { columns?: number }).columns ?? 0;
    const len = [...line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')].length;
    return cols > 0 ? Math.max(1, Math.ceil(len / cols)) : 1;
  };

  const render = (): void => {
    const lines = [`${paint('32', '?')} ${paint('1', o.message)} ›`];
    o.choices.forEach((c, i) => {
      const mark = i === index ? paint('36', '❯') : ' ';
      const text = i === index ? paint('36', c.value) : c.value;
      const note = c.note ? `  ${paint('2', c.note)}` : '';
      lines.push(`${mark} ${text}${c.note ? ' '.repeat(width - c.value.length) : ''}${note}`);
    });
    if (message) lines.push(paint('31', `✖ ${message}`));
    let out = drawn > 1 ? `${ESC}${drawn - 1}A` : '';
    out += `\r${ESC}J${lines.join('\n')}`;
    o.output.write(out);
    drawn = lines.reduce((n, l) => n + rows(l), 0);
  };

  const clear = (): void => {
    o.output.write(`${drawn > 1 ? `${ESC}${drawn - 1}A` : ''}\r${ESC}J`);
    drawn = 0;
  };

  return new Promise((resolve) => {
    const wasRaw = (o.input as { isRaw?: boolean }).isRaw ?? false;
    emitKeypressEvents(o.input);
    o.input.setRawMode?.(true);
    o.input.resume();
    o.output.write(`${ESC}?25l`); // hide the cursor while the list is up

    const finish = (value: string | undefined): void => {
      o.input.removeListener('keypress', onKey);
      o.input.setRawMode?.(wasRaw);
      o.input.pause();
      clear();
      const answer = value === undefined ? paint('31', 'cancelled') : paint('36', value);
      o.output.write(`${value === undefined ? paint('31', '✖') : paint('32', '✔')} ${paint('1', o.message)} · ${answer}\n${ESC}?25h`);
      resolve(value);
    };

    const move = (to: number): void => {
      index = (to + o.choices.length) % o.choices.length;
      message = undefined;
      render();
    };

    const onKey = (str: string | undefined, key: Key = {}): void => {
      if ((key.ctrl && (key.name === 'c' || key.name === 'd')) || key.name === 'escape') return finish(undefined);
      switch (key.name) {
        case 'up':
          return move(index - 1);
        case 'down':
        case 'tab':
          return move(index + 1);
        case 'home':
          return move(0);
        case 'end':
          return move(o.choices.length - 1);
        case 'return':
        case 'enter': {
          const value = o.choices[index]!.value;
          const why = o.check?.(value);
          if (why === undefined) return finish(value);
          message = why;
          return render();
        }
      }
      // A letter jumps to the next choice that starts with it.
      if (str && /^[a-z0-9_]$/i.test(str) && !key.ctrl && !key.meta) {
        for (let step = 1; step <= o.choices.length; step++) {
          const i = (index + step) % o.choices.length;
          if (o.choices[i]!.value.toLowerCase().startsWith(str.toLowerCase())) return move(i);
        }
      }
    };

    o.input.on('keypress', onKey);
    render();
  });
}
