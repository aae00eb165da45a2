"""The v1 REST API: one blueprint per resource, mounted under /api/v1."""
