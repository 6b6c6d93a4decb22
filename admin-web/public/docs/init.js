// Renders the gateway's own OpenAPI document; kept out of index.html so the page's
// Content-Security-Policy needs no inline script. Tags start collapsed: the spec is
// large and rendering every operation at once is slow.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "none",
  defaultModelsExpandDepth: -1,
  tryItOutEnabled: false,
});
