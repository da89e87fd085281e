/**
 * The command line's own words for what yargs reports: a missing argument, an unknown option or
 * command (with the nearest known one as a suggestion), a value not among the choices. Every
 * message becomes an InputError with its code, so the command line prints it as
 * `fencecheck: CODE message` and exits 2.
 */
import { InputError } from '../checker/params.js'

/** Edit distance (insertions, deletions, substitutions) between two words. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/** The known word nearest to `word`, if it is near enough to be what was meant. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase())
    if (d < bestD) [best, bestD] = [k, d]
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

/**
 * A value written as a negative number (`--max-time -5s`) is taken by yargs for short flags (-5,
 * -s); joined to its option (`--max-time=-5s`) it reaches the option's own check, which names it.
 */
export function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    const next = args[i + 1]
    if (/^--[a-z][a-z-]*$/.test(a) && next !== undefined && /^-[0-9.]/.test(next)) {
      out.push(`${a}=${next}`)
      i++
    } else out.push(a)
  }
  return out
}

/** What the command line knows, for the messages: the commands, and the options and positionals of the command at hand. */
export interface UsageContext {
  readonly command: string | undefined
  readonly commands: readonly string[]
  readonly options: readonly string[]
  /** what the command's positionals are, in words (for a missing one) */
  readonly positionals: string | undefined
  readonly args: readonly string[]
  /** why an option another command has is not one of this command's */
  readonly hints?: Readonly<Record<string, string>>
}

const camel = (k: string): boolean => /[A-Z]/.test(k)

/** A yargs failure message in fencecheck's words, with its code. */
export function usageError(msg: string, ctx: UsageContext): InputError {
  const help = ctx.command ? `fencecheck ${ctx.command} --help` : 'fencecheck --help'
  if (/^Not enough non-option arguments/.test(msg)) {
    if (!ctx.command) return new InputError('FC203', `name a command: ${ctx.commands.join(', ')} (see ${help})`)
    return new InputError('FC203', `${ctx.command} needs ${ctx.positionals ?? 'an argument'} (see ${help})`)
  }
  const unknown = /^Unknown arguments?: (.*)$/s.exec(msg)
  if (unknown) {
    const words = unknown[1]!.split(', ').map((w) => w.trim())
    // yargs names each unknown option twice, as written and in camelCase: keep the one written.
    const given = words.filter((w) => !(camel(w) && words.some((v) => v !== w && v.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) === w)))
    const first = given[0] ?? words[0]!
    const asOption = ctx.args.some((a) => a === `--${first}` || a.startsWith(`--${first}=`) || a === `-${first}`)
    if (!asOption && !ctx.command) {
      const near = nearest(first, ctx.commands)
      return new InputError('FC201', `unknown command '${first}'${near ? ` (did you mean ${near}?)` : ''}; commands: ${ctx.commands.join(', ')} (see ${help})`)
    }
    if (!asOption) return new InputError('FC200', `unexpected argument '${first}' (see ${help})`)
    const near = nearest(
      first,
      ctx.options.filter((o) => !camel(o)),
    )
    const more =
      given.length > 1
        ? ` (and ${given
            .slice(1)
            .map((w) => `--${w}`)
            .join(', ')})`
        : ''
    const hint = ctx.hints?.[first] ?? (near ? `did you mean --${near}?` : undefined)
    return new InputError('FC204', `--${first} is not an option of ${ctx.command ?? 'fencecheck'}${hint ? `; ${hint}` : ''}${more} (see ${help})`, `--${first}`)
  }
  const choice = /^Invalid values?:\s*Argument: ([^,]+), Given: (.*?), Choices: (.*)$/s.exec(msg)
  if (choice) return new InputError('FC205', `--${choice[1]} ${choice[2]} is not one of ${choice[3]!.trim()} (see ${help})`, `--${choice[1]}`)
  const noValue = /^Not enough arguments following: (.*)$/.exec(msg)
  if (noValue) return new InputError('FC205', `--${noValue[1]} needs a value (see ${help})`, `--${noValue[1]}`)
  const missing = /^Missing required arguments?: (.*)$/.exec(msg)
  if (missing) return new InputError('FC203', `${ctx.command ?? 'the command'} needs ${ctx.positionals ?? missing[1]} (see ${help})`)
  return new InputError('FC200', `${msg} (see ${help})`)
}
