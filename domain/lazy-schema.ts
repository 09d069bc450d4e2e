/**
 * A schema (or any object) built the first time it is used rather than when its module loads.
 *
 * Why: the workflow bundle evaluates its modules once for each workflow a worker starts or brings back after an
 * eviction (the SDK keeps modules apart per workflow). Built at load, the zod schemas of the contracts cost about
 * 13 ms of CPU and a copy in memory for every workflow, though a workflow uses at most the few its Update validators
 * need, and most (a service on the happy path) none (bench/findings.md, 0.11.0). The API and the tests use them as
 * before: the returned object stands for the built one in every read, method call and `instanceof`.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let schema: T | undefined;
  const built = (): T => (schema ??= build());
  return new Proxy(Object.create(null) as T, {
    get: (_, key) => {
      const target = built();
      return Reflect.get(target, key, target) as unknown;
    },
    has: (_, key) => Reflect.has(built(), key),
    set: (_, key, value) => {
      const target = built();
      return Reflect.set(target, key, value, target);
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(built()),
  });
}
