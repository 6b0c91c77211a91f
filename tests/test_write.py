"""Writes are all-or-nothing: a failure half-way leaves every old bundle as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsl_portproxy.errors import PortProxyError
from wsl_portproxy.write import write_bundles


def test_a_failure_while_swapping_in_restores_every_old_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_bundles({"A": {"f.txt": b"old A"}, "B": {"f.txt": b"old B"}}, out, force=True)
    real_rename = Path.rename
    failures = []

    def failing_rename(self: Path, target: Path) -> Path:
        if str(target) == str(out / "B") and "staging" not in failures:
            failures.append("staging")
            raise OSError(28, "No space left on device", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(PortProxyError) as info:
        write_bundles({"A": {"f.txt": b"new A"}, "B": {"f.txt": b"new B"}, "C": {"f": b"c"}}, out,
                      force=True)
    assert info.value.exit_code == 4
    assert "nothing was changed" in info.value.lines()[0]
    assert (out / "A" / "f.txt").read_bytes() == b"old A"
    assert (out / "B" / "f.txt").read_bytes() == b"old B"
    assert sorted(p.name for p in out.iterdir()) == ["A", "B"]


def test_a_bundle_name_can_never_leave_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for force in (False, True):
        with pytest.raises(PortProxyError) as info:
            write_bundles({"../escaped": {"f.txt": b"x"}}, out, force=force)
        assert info.value.exit_code == 4
        assert info.value.lines() == [
            f"error: {out}: output: {out / '../escaped'} is not inside {out}"]
    assert not (tmp_path / "escaped").exists()
