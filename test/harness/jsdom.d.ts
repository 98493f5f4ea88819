/** The little of jsdom the Markdown check uses (a window for mermaid's parser); jsdom ships no types. */
declare module 'jsdom' {
  export class JSDOM {
    constructor(html?: string);
    readonly window: { document: unknown } & Record<string, unknown>;
  }
}
