/**
 * Version of the `@realmauth/node` package.
 *
 * Placeholder: this package is an empty shell for now.
 *
 * @example
 * ```ts
 * import { VERSION } from '@realmauth/node';
 * console.log(VERSION); // '0.0.0'
 * ```
 */
export const VERSION = '0.0.0';
