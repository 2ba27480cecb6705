export declare function sourceFingerprint(root: string): string;
export declare function builtFrom(distDir: string): string | undefined;
export declare function cliEntry(root: string, env?: Record<string, string | undefined>): { module: string; bundled: boolean };
