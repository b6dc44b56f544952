OWN = "ghcr.io/acme/shop:latest"
TOOL = "ghcr.io/someone/tool:1"
