"""The web application (issue 5): FastAPI REST API and server-rendered pages, served by ``aktuar serve``."""

from aktuar.web.app import create_app
from aktuar.web.settings import Identity, WebSettings

__all__ = ["create_app", "Identity", "WebSettings"]
