// The API docs page loads everything from this server: it works offline.
window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui" });
