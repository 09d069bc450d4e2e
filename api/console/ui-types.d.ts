// Types for ui.js that JSDoc cannot write (a type alias that refers to itself). No run-time code.

/** What `h()` and `s()` append: nodes as they are, text as text, lists flattened; null, undefined, false skipped. */
export type Child = Node | string | number | boolean | null | undefined | readonly Child[];
