/**
 * The command line of every script: `--help` prints what the script does and its flags, and bad
 * usage (an unknown flag, a bad number, a missing file or setting) is one line on stderr and exit
 * code 2, never a stack trace. Exit code 1 stays for a run that started and failed.
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Flag = NonNullable<ParseArgsConfig['options']>[string] & {
  help: string;
  /** What the value is called in the help ("N", "FILE"); string flags only. */
  value?: string;
};

export interface Command<O extends Record<string, Flag>> {
  /** How it is run: "npm run bench:decay". */
  name: string;
  /** What it does, for the help: a few lines. */
  summary: string;
  options: O;
  /** The positional arguments' shape for the help ("FILE.json..."); none are allowed without it. */
  positionals?: string;
}

function helpText(command: Command<Record<string, Flag>>): string {
  const flags = Object.entries(command.options).map(([name, flag]) => {
    const left = `${flag.short ? `-${flag.short}, ` : ''}--${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`;
    const fallback = flag.default !== undefined && flag.default !== false ? ` (default ${String(flag.default)})` : '';
    return [left, `${flag.help}${fallback}`];
  });
  flags.push(['-h, --help', 'Print this help and exit']);
  const width = Math.max(...flags.map(([left]) => left!.length));
  return [
    `Usage: ${command.name}${flags.length > 1 || command.positionals ? ' --' : ''}${command.positionals ? ` ${command.positionals}` : ''}${flags.length > 1 ? ' [FLAGS]' : ''}`,
    '',
    command.summary.trim(),
    '',
    'Flags:',
    ...flags.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`),
  ].join('\n');
}

/** Parses the script's arguments, or prints its help (exit 0) or a usage error (exit 2). */
export function parseCommand<const O extends Record<string, Flag>>(command: Command<O>) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(helpText(command));
    process.exit(0);
  }
  /** Bad usage: one line naming the script and where its help is. */
  const fail = (message: string): never => {
    console.error(`${command.name}: ${message} (see --help)`);
    process.exit(2);
  };
  let parsed;
  try {
    parsed = parseArgs({ args, options: command.options, allowPositionals: command.positionals !== undefined, strict: true });
  } catch (error) {
    // Node's messages are one line ("Unknown option '--nope'..."); its hint about `--` is noise here.
    fail((error instanceof Error ? error.message : String(error)).split('. To specify a positional')[0]!);
  }
  const { values, positionals } = parsed!;
  return {
    values,
    positionals,
    fail,
    /** A whole number of at least `min` from a string flag. */
    integer(flag: keyof O & string, min = 1): number {
      const raw = (values as Record<string, unknown>)[flag];
      const n = Number(raw);
      if (typeof raw !== 'string' || !Number.isInteger(n) || n < min) fail(`--${flag} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
      return n;
    },
    /** The files exist (each named on the command line). */
    files(paths: string[]): string[] {
      for (const file of paths) if (!existsSync(file)) fail(`no such file: ${file}`);
      return paths;
    },
    /** A setting the script cannot run without. */
    requireEnv(name: string, why: string): string {
      const value = process.env[name]?.trim();
      if (!value) fail(`${why}: set ${name}`);
      return value!;
    },
  };
}
