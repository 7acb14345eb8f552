/**
 * `object` without its properties whose value is `undefined`: an option or field left unset
 * stays absent (not present as `undefined`) in what the clients return, store in IndexedDB
 * or put in a query string. Deletes them in place; pass a fresh literal. The type drops
 * `undefined` from each value, so the result fits `Record<string, string>` (URLSearchParams);
 * a property left out reads `undefined` all the same.
 *
 * @internal
 */
export function defined<T extends object>(object: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  for (const key in object) if (object[key] === undefined) delete object[key]
  return object as { [K in keyof T]: Exclude<T[K], undefined> }
}
