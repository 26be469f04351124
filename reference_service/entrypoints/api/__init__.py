"""The JSON API under ``/api/v1``: request parsing, the OpenAPI registry and one module per resource."""
