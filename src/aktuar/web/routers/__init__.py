"""The web application's routers: ``auth`` (login, logout, language), ``pages`` (server-rendered pages) and
``api`` (REST API under /api/v1)."""
