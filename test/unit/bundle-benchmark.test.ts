import { describe, expect, it } from 'vitest';
import { stackBundlingOptions } from '../../bench/bundle-benchmark.js';

/** The bundle benchmark bundles as the stack does: it reads the options from the stack's function construct. */
describe('the bundle benchmark', () => {
  it("reads the stack's bundling options: CJS, minified, node22, only the SDK clients external", () => {
    expect(stackBundlingOptions()).toEqual({
      target: 'node22',
      format: 'cjs',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      // lib-storage is bundled: the Lambda runtime documents its SDK clients, not its other libraries.
      externals: ['@aws-sdk/client-*'],
    });
  });

  it('refuses a construct it no longer understands, naming the option', () => {
    const changed = "bundling: { format: OutputFormat.ESM, target: 'node22', minify: true, sourceMap: true, sourcesContent: false, externalModules: [] }";
    expect(() => stackBundlingOptions(changed)).toThrow(/format: OutputFormat\.CJS/);
  });
});
