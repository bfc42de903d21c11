// Starts Swagger UI on WARAS's own OpenAPI document. "Authorize" takes a tenant or admin key.
window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: false,
  })
})
