/** 1-based line numbers of positions asked in (mostly) increasing order: linear over a whole scan. */
export class LineCounter {
  private scanPos = 0;
  private scanLine = 1;

  constructor(private readonly src: string) {}

  lineAt(at: number): number {
    if (at < this.scanPos) {
      this.scanPos = 0;
      this.scanLine = 1;
    }
    const src = this.src;
    let p = this.scanPos;
    let line = this.scanLine;
    for (;;) {
      const nl = src.indexOf('\n', p);
      if (nl < 0 || nl >= at) break;
      line++;
      p = nl + 1;
    }
    this.scanPos = p;
    this.scanLine = line;
    return line;
  }
}
