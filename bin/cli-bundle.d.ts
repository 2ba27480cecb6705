export declare function builtFrom(distDir: string): number | undefined;
export declare function newestChange(dir: string): number;
export declare function cliEntry(root: string, env?: Record<string, string | undefined>): { module: string; bundled: boolean };
