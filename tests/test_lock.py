"""requirements.lock (what `make install` installs, `make lock` writes) agrees with pyproject.toml: each direct
dependency of planqa and of its dev and milvus extras is locked at a version its specifier allows, each lock
entry is pinned with == and has a --hash, torch is the CPU build, and the gguf extra stays out. No network."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PYPROJECT = ROOT / "pyproject.toml"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def lock_entries(text: str) -> dict[str, tuple[Requirement, list[str]]]:
    """Each entry of a pip-compile lock: its requirement and its --hash options, by canonical name."""
    entries: dict[str, tuple[Requirement, list[str]]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        line = line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        words = line.split()
        req = Requirement(" ".join(w for w in words if not w.startswith("--hash=")))
        name = canonicalize_name(req.name)
        assert name not in entries, f"{name} is locked twice"
        entries[name] = (req, [w for w in words if w.startswith("--hash=")])
    return entries


def direct_requirements(pyproject: dict[str, Any]) -> list[Requirement]:
    """planqa's dependencies and those of its dev and milvus extras (dev's own planqa[...] left out)."""
    project = pyproject["project"]
    extras = project["optional-dependencies"]
    reqs = [Requirement(r) for r in project["dependencies"] + extras["dev"] + extras["milvus"]]
    return [r for r in reqs if canonicalize_name(r.name) != "planqa"]


def problems(pyproject: dict[str, Any], lock_text: str) -> list[str]:
    entries = lock_entries(lock_text)
    found = []
    for req in direct_requirements(pyproject):
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        if name not in entries:
            found.append(f"{req}: not in the lock")
            continue
        locked = entries[name][0]
        pins = [s for s in locked.specifier if s.operator == "=="]
        if len(pins) != 1 or len(locked.specifier) != 1:
            found.append(f"{req}: locked as {locked}, not pinned to one version")
        elif not req.specifier.contains(Version(pins[0].version), prereleases=True):
            found.append(f"{req}: locked at {pins[0].version}, which {req.specifier} does not allow")
    for name, (locked, hashes) in entries.items():
        if locked.url:
            found.append(f"{name}: a URL, not an index package ({locked.url})")
        if not hashes or not all(HASH.fullmatch(h) for h in hashes):
            found.append(f"{name}: no --hash=sha256:… ({hashes})")
    return found


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lock_text() -> str:
    return LOCK.read_text(encoding="utf-8")


def test_the_lock_is_in_sync_with_pyproject(pyproject, lock_text):
    assert problems(pyproject, lock_text) == [], "run `make lock` after changing pyproject.toml's dependencies"


def test_every_direct_dependency_is_checked(pyproject):
    names = {canonicalize_name(r.name) for r in direct_requirements(pyproject)}
    assert {"torch", "gradio", "faiss-cpu", "pymilvus", "pytest", "pip-audit", "pip-tools"} <= names
    assert "planqa[milvus]" in pyproject["project"]["optional-dependencies"]["dev"]  # so milvus's are locked too


def test_torch_is_the_cpu_build(lock_text):
    entries = lock_entries(lock_text)
    (pin,) = entries["torch"][0].specifier
    assert Version(pin.version) == Version("2.13.0+cpu")
    assert not [name for name in entries if name.startswith(("nvidia-", "triton"))], "a CUDA build's packages"


def test_the_gguf_extra_and_planqa_itself_are_not_locked(pyproject, lock_text):
    entries = lock_entries(lock_text)
    assert "planqa" not in entries  # installed from the working tree, editable
    for req in pyproject["project"]["optional-dependencies"]["gguf"]:
        assert canonicalize_name(Requirement(req).name) not in entries


def test_the_tools_that_install_are_locked_too(lock_text):
    """pip, setuptools (the editable install builds with it, --no-build-isolation) and pip-tools (make lock)."""
    assert {"pip", "setuptools", "pip-tools"} <= set(lock_entries(lock_text))


def test_make_install_installs_from_the_lock():
    """The recipe itself, resolving nothing, is tests/test_install.py's."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^\$\(VENV\)/\.installed: (.*)$", makefile, re.M)
    assert target is not None and "$(LOCK)" in target.group(1).split()
    assert re.search(r"^LOCK := requirements\.lock$", makefile, re.M)
    assert "$(call install-lock,$(VENV),$(LOCK))" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
    assert "--generate-hashes" in makefile and "constraints.txt" not in makefile


def test_the_gguf_and_milvus_server_locks_pin_what_their_sources_say(pyproject):
    """`make llm`'s engine at pyproject.toml's gguf pin, the Milvus server at the Makefile's, each hashed."""
    (engine,) = map(Requirement, pyproject["project"]["optional-dependencies"]["gguf"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pin = re.search(r"^MILVUS_SERVER_PIN := (\S+)$", makefile, re.M)
    assert pin is not None
    for lock, wanted in (("requirements-gguf.lock", engine), ("requirements-milvus-server.lock", Requirement(pin.group(1)))):
        entries = lock_entries((ROOT / lock).read_text(encoding="utf-8"))
        locked, hashes = entries[canonicalize_name(wanted.name)]
        assert str(locked.specifier) == str(wanted.specifier), lock
        assert hashes and all(HASH.fullmatch(h) for h in hashes), lock


# The check itself: each kind of drift between pyproject.toml and the lock is caught.

H = "--hash=sha256:" + "0" * 64
SMALL_PYPROJECT = {
    "project": {
        "dependencies": ["torch==2.13.0", "gradio>=6.31,<7"],
        "optional-dependencies": {"dev": ["planqa[milvus]", "pytest>=8"], "milvus": ["pymilvus[milvus-lite]>=2.5,<4"]},
    }
}
SMALL_LOCK = {
    "gradio": f"gradio==6.31.0 \\\n    {H}\n    # via planqa (pyproject.toml)\n",
    "pymilvus": f"pymilvus==3.0.2 \\\n    {H} \\\n    {H}\n",
    "pytest": f"pytest==9.2.0 \\\n    {H}\n",
    "torch": f"torch==2.13.0+cpu \\\n    {H}\n    # via\n    #   planqa\n    #   sentence-transformers\n",
}


def small_lock(**replace: str) -> str:
    return "# autogenerated\n" + "".join(replace.get(name, text) for name, text in SMALL_LOCK.items())


def test_the_check_passes_a_matching_lock():
    assert problems(SMALL_PYPROJECT, small_lock()) == []


@pytest.mark.parametrize(
    ("replace", "problem"),
    [
        ({"gradio": ""}, "gradio<7,>=6.31: not in the lock"),
        ({"pymilvus": ""}, "pymilvus[milvus-lite]<4,>=2.5: not in the lock"),  # from the milvus extra
        ({"pytest": f"pytest==7.4.0 \\\n    {H}\n"}, "pytest>=8: locked at 7.4.0, which >=8 does not allow"),
        ({"torch": f"torch==2.12.0+cpu \\\n    {H}\n"}, "torch==2.13.0: locked at 2.12.0+cpu"),
        ({"gradio": f"gradio>=6.31 \\\n    {H}\n"}, "gradio<7,>=6.31: locked as gradio>=6.31, not pinned"),
        ({"gradio": "gradio==6.31.0\n"}, "gradio: no --hash=sha256"),
        ({"gradio": "gradio==6.31.0 --hash=sha256:abc\n"}, "gradio: no --hash=sha256"),
        ({"pytest": f"pytest @ https://example.org/pytest-9.2.0-py3-none-any.whl \\\n    {H}\n"}, "pytest: a URL"),
    ],
)
def test_the_check_catches_drift(replace, problem):
    found = problems(SMALL_PYPROJECT, small_lock(**replace))
    assert any(problem in p for p in found), found


def test_a_package_locked_twice_is_an_error():
    with pytest.raises(AssertionError, match="gradio is locked twice"):
        lock_entries(small_lock() + SMALL_LOCK["gradio"])
