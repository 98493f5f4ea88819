// Types of scripts/bundle-hash.mjs.
export declare const ROOT: string;
export declare const HASH_FILE: string;
export declare function bundleEntry(name: string, root?: string): string;
export declare function bundleSources(name: string, root?: string): string[];
export declare function bundleSourceHash(name: string, root?: string): string;
export declare function staleBundle(name: string, root?: string): string | undefined;
