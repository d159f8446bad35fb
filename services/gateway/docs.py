"""The interactive page of the OpenAPI document: Swagger UI from the `swagger-ui-bundle`
package, served by the gateway itself (no CDN, no front-end build)."""

import mimetypes
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path

ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-32x32.png", "favicon-16x16.png"})

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "openapi.json", dom_id: "#ui", validatorUrl: null, deepLinking: true}});
  </script>
</body>
</html>
"""


def page(title: str) -> str:
    return PAGE.format(title=title)


def asset(name: str) -> tuple[bytes, str] | None:
    """A file of the page (its bytes and type); None for any other name."""
    if name not in ASSETS:
        return None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return (Path(swagger_ui_path) / name).read_bytes(), content_type
