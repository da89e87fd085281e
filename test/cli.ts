/**
 * Running the command line as a child process, for tests that watch it while it runs: `on` sees
 * stderr as it grows (to send a signal once a line appears), and the result has the exit code or,
 * if the process died of a signal, that signal.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { CLI } from './root.js'

export interface CliRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  /** called with all of stderr so far, each time more arrives */
  readonly on?: (stderr: string, p: ChildProcess) => void
  /** node options before the script (e.g. --import) */
  readonly nodeArgs?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  /** a safety net only: the process is killed (SIGKILL) after this long; tests wait for events */
  readonly timeoutMs?: number
}

export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], { env: { ...process.env, ...opts.env } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d) => (stdout += d))
    p.stderr.on('data', (d) => {
      stderr += d
      opts.on?.(stderr, p)
    })
    const net = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 240_000)
    p.on('close', (code, signal) => {
      clearTimeout(net)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
