/**
 * Version of the `@realmauth/browser` package.
 *
 * Placeholder: this package is an empty shell for now.
 *
 * @example
 * ```ts
 * import { VERSION } from '@realmauth/browser';
 * console.log(VERSION); // '0.0.0'
 * ```
 */
export const VERSION = '0.0.0';
