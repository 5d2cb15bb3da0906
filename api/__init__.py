"""dxkb HTTP API: one ASGI app serving /graphql (frontends), /sparql (researchers) and /healthz."""
