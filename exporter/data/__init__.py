"""Data files shipped inside the package: the built-in response-code catalog."""

from importlib.resources import files


def builtin_catalog_text() -> str:
    """The built-in catalog (`catalog.yaml`) as text, for `Catalog.from_yaml`."""
    return files(__package__).joinpath("catalog.yaml").read_text(encoding="utf-8")
