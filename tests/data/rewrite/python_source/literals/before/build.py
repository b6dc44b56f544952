"""Build helpers; images go to localhost:5555/shop."""

PLAIN = "localhost:5555/shop:latest"
RAW = r'localhost:5555/shop\tools'
TRIPLE = """
localhost:5555/worker:1
"""
# a comment naming localhost:5555/shop stays as it is


def image(tag: str) -> str:
    return f"localhost:5555/shop:{tag}"


def by_name(name: str) -> str:
    return f'localhost:5555/{name}:latest'


CATALOG = "http://localhost:5555/v2/_catalog"
