"""Data files shipped inside the package: the built-in response-code catalog and the
recipes for real platforms' logs."""

from importlib.resources import files


def builtin_catalog_text() -> str:
    """The built-in catalog (`catalog.yaml`) as text, for `Catalog.from_yaml`."""
    return files(__package__).joinpath("catalog.yaml").read_text(encoding="utf-8")


def recipe_texts() -> list[tuple[str, str]]:
    """Every recipe file (`recipes/*.yml`) as (file name, text), in name order."""
    folder = files(__package__).joinpath("recipes")
    found = [entry for entry in folder.iterdir() if entry.name.endswith(".yml")]
    return [
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in sorted(found, key=lambda e: e.name)
    ]
