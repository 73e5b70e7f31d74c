// Injected at bundle time by scripts/build.mjs; fall back for unbundled runs.
declare const __SKIFF_VERSION__: string | undefined;
declare const __SKIFF_COMMIT__: string | undefined;
declare const __SKIFF_BUILD_TIME__: string | undefined;

export const VERSION = typeof __SKIFF_VERSION__ === 'string' ? __SKIFF_VERSION__ : '0.0.0-dev';
export const COMMIT = typeof __SKIFF_COMMIT__ === 'string' ? __SKIFF_COMMIT__ : 'unknown';
export const BUILD_TIME = typeof __SKIFF_BUILD_TIME__ === 'string' ? __SKIFF_BUILD_TIME__ : 'unknown';
