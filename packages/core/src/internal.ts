// Helpers that @realmauth/browser, /node and /react share and apps have no use for: not part
// of the public API, free to change with the sibling packages (the packages release together).
export { toAuthError } from './AuthError.js'
export { clockToleranceOption } from './clockToleranceOption.js'
export { dueForRenewal, renewalMargin, secondsLeft } from './TokenSet.js'
export { retry, retryDelay, retryPolicy } from './retry.js'
