// Type-checking aid for the console (tsconfig.console.json), no run-time code: `list.filter(Boolean)` drops the
// empty entries from the list's type too.

interface Array<T> {
  filter(predicate: BooleanConstructor): Exclude<T, false | null | undefined | 0 | ''>[];
}

interface ReadonlyArray<T> {
  filter(predicate: BooleanConstructor): Exclude<T, false | null | undefined | 0 | ''>[];
}
