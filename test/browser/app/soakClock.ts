// How the soak page tells the provider and its API its simulated time (shared with the test).

/** Query parameter on requests to the provider; the test's provider hook reads and strips it. */
export const CLOCK_PARAM = 'realmauth-test-now'
/** Header on requests to the page's own API. */
export const CLOCK_HEADER = 'x-test-now'
