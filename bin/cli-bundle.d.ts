export declare const BUNDLE: string;
export declare const BUNDLE_SOURCES: string;
export declare function sourcesDigest(root: URL, files: readonly string[]): string;
export declare function freshBundle(root: URL): URL | undefined;
