// What docs.js uses of Swagger UI's bundle (assets/swagger-ui-bundle.js), for tsconfig.console.json.

declare function SwaggerUIBundle(options: {
  url: string;
  dom_id: string;
  persistAuthorization?: boolean;
}): unknown;

interface Window {
  /** The Swagger UI instance, for debugging from the browser's console. */
  ui: unknown;
}
