"""`make install`'s recipe installs a lock exactly, whatever the index serves tomorrow.

The case that broke every fresh install on 7 Dec 2026: the lock pins cachecontrol 0.14.4; pip-audit
requires ``CacheControl[filecache]>=0.13.0``; cachecontrol 0.15.0 was released after the lock was
made; and the stock pip of a new venv (23.2) resolved the requirement *with the extra* against the
newest release, which hash-checking mode then refused. Here the same shape is built from nothing:
a local index (a folder of wheels written by the test) where ``app`` requires ``lib[fast]>=1.0``,
the lock pins ``lib==1.0``, and ``lib 2.0`` exists too. The Makefile's own recipe (its ``lock-venv``
target, which ``make install`` and the Milvus server's venv use) installs that lock into a fresh venv
with the venv's stock pip, no network and no pip configuration of this machine. The locked versions
must be the ones installed; the old recipe (``pip install --require-hashes -r LOCK``, resolving)
fails here with pip 23.2's "all requirements must have their versions pinned with ==".
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(folder: Path, name: str, version: str, requires: list[str] = (), extras: dict | None = None) -> Path:  # type: ignore[assignment]
    """A pure-Python wheel of ``name`` ``version`` with its Requires-Dist lines, written into ``folder``."""
    extras = extras or {}
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    meta += [f"Provides-Extra: {extra}" for extra in extras]
    meta += [f"Requires-Dist: {req}" for req in requires]
    meta += [f'Requires-Dist: {req}; extra == "{extra}"' for extra, reqs in extras.items() for req in reqs]
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{info}/METADATA": ("\n".join(meta) + "\n").encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: planqa-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for arc, data in files.items():
            whl.writestr(arc, data)
    return path


def lock_line(wheel: Path, pin: str) -> str:
    return f"{pin} \\\n    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A folder of wheels (the index as it is after a new upstream release) and the lock made before it."""
    wheels = tmp_path_factory.mktemp("index")
    app = make_wheel(wheels, "app", "1.0", ["lib[fast]>=1.0"])
    lib = make_wheel(wheels, "lib", "1.0", extras={"fast": ["speedup>=1.0"]})
    speedup = make_wheel(wheels, "speedup", "1.0")
    make_wheel(wheels, "lib", "2.0", extras={"fast": ["speedup>=1.0"]})  # released after the lock was made
    make_wheel(wheels, "speedup", "1.1")
    lock = wheels.parent / "small.lock"
    lock.write_text(
        "# the same shape as requirements.lock: every package pinned with a hash, extras stripped\n"
        + lock_line(app, "app==1.0")
        + lock_line(lib, "lib==1.0")
        + lock_line(speedup, "speedup==1.0"),
        encoding="utf-8",
    )
    return wheels, lock


def offline_env(wheels: Path) -> dict[str, str]:
    """pip sees the local folder only: no index, and none of this machine's pip configuration
    (its find-links, extra indexes and constraints), as on a user's machine with a fresh clone."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
    )
    return env


def installed(venv: Path) -> dict[str, str]:
    code = "import importlib.metadata as m; print('\\n'.join(f'{d.metadata[\"Name\"]}=={d.version}' for d in m.distributions()))"
    out = subprocess.run([venv / "bin" / "python", "-c", code], capture_output=True, text=True, check=True).stdout
    return dict(line.split("==", 1) for line in out.split())


def test_the_recipe_installs_the_locked_versions_when_a_newer_release_exists(index, tmp_path):
    wheels, lock = index
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "lock-venv", f"LOCK_VENV={venv}", f"LOCK_FILE={lock}",
         f"PYTHON={sys.executable}"],
        env=offline_env(wheels), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    versions = installed(venv)
    assert (versions.get("app"), versions.get("lib"), versions.get("speedup")) == ("1.0", "1.0", "1.0")


def test_an_incomplete_lock_is_refused_not_resolved(index, tmp_path):
    """With resolution off, a lock missing a package would install a broken set: pip check refuses it."""
    wheels, lock = index
    short = tmp_path / "short.lock"
    short.write_text(lock_line(wheels / "app-1.0-py3-none-any.whl", "app==1.0"), encoding="utf-8")
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "lock-venv", f"LOCK_VENV={tmp_path / 'venv'}",
         f"LOCK_FILE={short}", f"PYTHON={sys.executable}"],
        env=offline_env(wheels), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert re.search(r"app 1\.0 requires lib", done.stdout + done.stderr), done.stdout + done.stderr


def test_every_install_of_the_makefile_goes_through_the_recipe():
    """planqa's venv, the Milvus server's venv and `make llm`'s engine: each a hashed lock, no resolution."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^define install-lock\n(.*?)^endef$", makefile, re.M | re.S)
    assert recipe is not None
    assert "--no-deps --require-hashes -r $(2)" in recipe.group(1) and "pip check" in recipe.group(1)
    assert "$(call install-lock,$(VENV),$(LOCK))" in makefile
    assert "$(call install-lock,.milvus-server,$(MILVUS_LOCK))" in makefile
    installs = re.findall(r"^\t.*/pip install (?!.*--no-deps).*$", makefile, re.M)
    assert installs == [], f"a pip install that resolves: {installs}"
