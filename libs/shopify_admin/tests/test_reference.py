from pathlib import Path

import pytest

from shopify_admin.reference import schema_path, shared_dir, shopify_dir


def test_shared_dir_is_the_sibling_of_the_repository_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SHIPBRIDGE_SHARED_DIR", raising=False)
    repo_root = next(p for p in Path(__file__).resolve().parents if (p / "uv.lock").is_file())
    assert shared_dir() == (repo_root.parent / "shared").resolve()
    assert schema_path().is_file()
    assert (shopify_dir() / "captures").is_dir()


def test_environment_overrides_the_shared_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHIPBRIDGE_SHARED_DIR", str(tmp_path))
    assert shared_dir() == tmp_path
    assert schema_path() == tmp_path / "shopify" / "admin-2026-07.graphql"
