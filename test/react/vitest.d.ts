declare module 'vitest' {
  export interface ProvidedContext {
    /** The React major a project runs the React tests against. */
    reactMajor: '18' | '19'
  }
}
export {}
