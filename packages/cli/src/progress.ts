/**
 * Progress for runs that can take minutes (bisect, checks): one line per finished probe or check
 * (commit, verdict, seconds) on stderr, and on a terminal a ticking "running… 42 s" line between
 * them. The engine reports each probe through its logger; this reads those lines.
 */
import type { Logger } from '@rollback-gate/core';
import { safe, type Terminal } from './terminal.js';

export interface ProbeLine {
  n: number;
  commit: string;
  verdict: string;
  seconds: number;
}

export class Progress {
  private probes = 0;
  private seconds = 0;
  private started = Date.now();
  private ticker: NodeJS.Timeout | undefined;
  readonly lines: ProbeLine[] = [];

  constructor(
    private readonly term: Terminal,
    /** Short sha -> subject, for the probe lines. */
    private readonly subjects: ReadonlyMap<string, string> = new Map(),
    private readonly interactive = false,
  ) {}

  /** The engine's logger, with the probe and check lines turned into progress. */
  logger(): Logger {
    return this.term.logger((message) => this.onInfo(message));
  }

  start(what: string): void {
    this.term.progress(what);
    this.started = Date.now();
    if (this.interactive) {
      this.ticker = setInterval(() => this.term.options.stderr(`\r  running… ${Math.round((Date.now() - this.started) / 1000)} s `), 1000);
      this.ticker.unref();
    }
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.interactive) this.term.options.stderr('\r\x1b[K');
  }

  private onInfo(message: string): void {
    const check = /^check (.+?): (?:timed out after ([\d.]+) s|.* in ([\d.]+) s)/.exec(message);
    if (check) {
      this.seconds += Number(check[2] ?? check[3] ?? 0);
      if (check[1] !== 'bisect') this.print(`check ${safe(check[1] ?? '')}: ${safe(message.split('\n')[0]!.replace(/^check .+?: /, ''))}`);
      return;
    }
    const round = /^bisect round (\d+): (.*)$/.exec(message);
    if (round) {
      this.print(`round ${round[1]}: ${safe(round[2] ?? '')}`);
      return;
    }
    const probe = /^bisect: ([0-9a-f]+) is (good|bad|skip)/.exec(message);
    if (probe) {
      const line: ProbeLine = { n: ++this.probes, commit: probe[1]!, verdict: probe[2]!, seconds: Math.round(this.seconds * 10) / 10 };
      this.lines.push(line);
      this.seconds = 0;
      const verdict = line.verdict === 'good' ? this.term.paint('green', 'good') : line.verdict === 'bad' ? this.term.paint('red', 'bad ') : this.term.paint('yellow', 'skip');
      const subject = this.subjects.get(line.commit.slice(0, 12));
      this.print(`probe ${String(line.n).padStart(2)}  ${line.commit.slice(0, 12)}  ${verdict}  ${line.seconds.toFixed(1).padStart(6)} s${subject ? `  ${safe(subject)}` : ''}`);
    }
  }

  private print(text: string): void {
    if (this.interactive) this.term.options.stderr('\r\x1b[K');
    this.term.progress(`  ${text}`);
    this.started = Date.now();
  }
}
