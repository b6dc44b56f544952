OWN = "registry.example.com/acme/shop:latest"
TOOL = "ghcr.io/someone/tool:1"
