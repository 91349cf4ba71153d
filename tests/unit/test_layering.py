"""The layer's package boundaries: items and collections do not import each other both ways (the
collections service changes items; the items package reaches collections only through the
neutral galleria.collection_records and galleria.memberships), and only the records modules name
the items table's indexes."""

import ast
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared" / "galleria"


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_items_package_never_imports_the_collections_package() -> None:
    offenders = {
        module.name: sorted(name for name in _imports(module) if name.startswith("galleria.collections"))
        for module in (LAYER / "items").glob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_listing_logic_names_no_index_or_index_attribute() -> None:
    from galleria.items import records

    names = {index.name for index in vars(records).values() if isinstance(index, records.Index)}
    attributes = {index.partition_key for index in vars(records).values() if isinstance(index, records.Index)}
    for logic in ("listing.py", "public_feed.py", "service.py", "trash.py", "purge.py"):
        source = (LAYER / "items" / logic).read_text()
        assert not {name for name in names | attributes if f'"{name}"' in source}, logic
