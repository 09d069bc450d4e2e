// @ts-check
// Served as a file (not inline) so the Content-Security-Policy can forbid inline scripts.
window.ui = SwaggerUIBundle({ url: '../openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });
