"""Build helpers; images go to registry.example.com/shop."""

PLAIN = "registry.example.com/shop:latest"
RAW = r'registry.example.com/shop\tools'
TRIPLE = """
registry.example.com/worker:1
"""
# a comment naming localhost:5555/shop stays as it is


def image(tag: str) -> str:
    return f"registry.example.com/shop:{tag}"


def by_name(name: str) -> str:
    return f'registry.example.com/{name}:latest'


CATALOG = "http://localhost:5555/v2/_catalog"
