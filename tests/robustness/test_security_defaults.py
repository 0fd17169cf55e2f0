"""Safe defaults: loopback only unless a login is set, uploads under a safe name in a private
temporary directory and deleted, no pickle or eval on anything read from disk, no document text in
the logs (issue 8, "Security defaults")."""

from __future__ import annotations

import ast
import json
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from rag.errors import ConfigError
from rag.index.directory import IndexManifest
from rag.settings import Settings
from tests.conftest import CORPUS, ROOT, run_cli
from ui.app import check_bind, run_check
from ui.service import safe_upload_name


def test_binding_other_interfaces_needs_a_login():
    check_bind(Settings())  # 127.0.0.1: no login needed
    with pytest.raises(ConfigError, match="PLANQA_UI_USER"):
        check_bind(Settings(host="0.0.0.0"))
    check_bind(Settings(host="0.0.0.0", ui_user="mz", ui_password="s3cret"))


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\舒兰 草案.docx", "舒兰 草案.docx"),
        ("舒兰市 规划（征求意见稿）.pdf", "舒兰市 规划（征求意见稿）.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("a<b>:c|d?.txt", "a_b__c_d_.txt"),
        ("", "upload.txt"),
    ],
)
def test_upload_names_cannot_leave_the_temporary_directory(name, safe):
    assert safe_upload_name(name) == safe


def test_uploaded_draft_is_read_under_a_safe_name_and_not_kept(service, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    upload = tmp_path / "gradio" / "..%2f..%2f舒兰 草案.txt"
    upload.parent.mkdir()
    upload.write_bytes((CORPUS / "shulan_city_14th_fyp_2021.txt").read_bytes())
    html, files = run_check(service, str(upload), None, "jilin_province_14th_fyp_2021.txt")
    assert "planqa-report" in html and len(files) == 2
    assert not list(scratch.glob("planqa-upload-*"))  # the copy of the draft is gone
    assert not upload.exists() and not upload.parent.exists()  # and so is the upload itself
    assert all(Path(f).is_relative_to(scratch) for f in files)


@pytest.mark.parametrize("name", ["草案.pdf", "草案.exe"])
def test_refused_upload_is_deleted_too(service, tmp_path, name):
    upload = tmp_path / "gradio" / name
    upload.parent.mkdir()
    upload.write_bytes(b"%PDF-1.4 broken" * 10)
    html, files = run_check(service, str(upload), None, "jilin_province_14th_fyp_2021.txt")
    assert 'class="pq-error"' in html and files == []
    assert not upload.exists()


def test_serve_refuses_another_interface_without_a_login(tmp_path, monkeypatch):
    """`planqa serve --host 0.0.0.0` with no login set: one Chinese line, exit 1, nothing served
    (refused before the model or the page is loaded)."""
    monkeypatch.delenv("PLANQA_UI_USER", raising=False)
    monkeypatch.delenv("PLANQA_UI_PASSWORD", raising=False)
    done = run_cli("serve", "--host", "0.0.0.0", "--port", "7", "--index", str(tmp_path / "none"))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("错误：网页要绑定到 0.0.0.0") and "PLANQA_UI_USER" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and not (tmp_path / "none").exists()
    assert Settings().host == "127.0.0.1"  # the default needs no login: it serves this machine only


# -- nothing read from disk is unpickled or evaluated ---------------------------------------

UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            out.append((name, node))
    return out


def test_no_pickle_or_eval_in_the_code():
    """Read every module of rag/ and ui/: no pickle-like module, no eval/exec, every np.load with
    allow_pickle=False, torch.load only with weights_only=True, yaml only through safe_load."""
    sources = sorted((ROOT / "rag").rglob("*.py")) + sorted((ROOT / "ui").rglob("*.py"))
    assert len(sources) > 20
    problems = []
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
                if {n.split(".")[0] for n in names} & UNSAFE_MODULES:
                    problems.append(f"{path.name}:{node.lineno} imports {names}")
        for name, call in _calls(tree):
            keywords = {k.arg: k.value for k in call.keywords}
            if name in UNSAFE_CALLS and isinstance(call.func, ast.Name):  # the builtins, not re.compile
                problems.append(f"{path.name}:{call.lineno} calls {name}")
            if name in ("load", "loads") and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
                module = call.func.value.id
                if module == "np" and not (isinstance(keywords.get("allow_pickle"), ast.Constant) and keywords["allow_pickle"].value is False):
                    problems.append(f"{path.name}:{call.lineno} np.{name} without allow_pickle=False")
                if module == "torch" and not (isinstance(keywords.get("weights_only"), ast.Constant) and keywords["weights_only"].value is True):
                    problems.append(f"{path.name}:{call.lineno} torch.{name} without weights_only=True")
                if module == "yaml":
                    problems.append(f"{path.name}:{call.lineno} yaml.{name} (use safe_load)")
            if name == "load" and "allow_pickle" in keywords and getattr(keywords["allow_pickle"], "value", None) is not False:
                problems.append(f"{path.name}:{call.lineno} load with allow_pickle other than False")
    assert problems == []


def test_index_files_need_no_pickle(fake_index_dir: Path):
    npys = list(fake_index_dir.rglob("*.npy"))
    assert len(npys) >= 3  # vectors and the bm25 arrays
    for npy in npys:
        np.load(npy, allow_pickle=False)
    manifest = next(fake_index_dir.rglob("manifest.json"))
    assert IndexManifest.model_config.get("extra") == "forbid"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    with pytest.raises(ValidationError):  # a field this program does not know is refused, not ignored
        IndexManifest.model_validate({**data, "loader": "pickle"})


# -- logs -----------------------------------------------------------------------------------

SECRET_SENTENCE = "本县拟于二〇二六年试点“银发守望”互助计划，暂不对外公开。"


def test_logs_hold_no_uploaded_document_text(service, tmp_path, caplog):
    """A draft with a distinctive sentence, checked in the web chat's handler (readable and not)
    with every logger at DEBUG, and with `planqa check` at the default level: the sentence is in
    no log record and not on stderr."""
    shulan = (CORPUS / "shulan_city_14th_fyp_2021.txt").read_text(encoding="utf-8")
    good = tmp_path / "up" / "草案.txt"
    good.parent.mkdir()
    good.write_text(SECRET_SENTENCE + "\n" + shulan.replace("。", "。" + SECRET_SENTENCE, 3), encoding="utf-8")
    assert good.read_text(encoding="utf-8").count(SECRET_SENTENCE) == 4
    kept = tmp_path / "草案.txt"
    shutil.copyfile(good, kept)
    bad = tmp_path / "up2" / "草案.pdf"  # a broken PDF (text would be read as text, whatever its suffix)
    bad.parent.mkdir()
    bad.write_bytes(b"%PDF-1.4\n" + SECRET_SENTENCE.encode("utf-8") * 50)
    with caplog.at_level(logging.DEBUG):
        html, _ = run_check(service, str(good), None, "jilin_province_14th_fyp_2021.txt")
        assert "planqa-report" in html
        html, _ = run_check(service, str(bad), None, "jilin_province_14th_fyp_2021.txt")
        assert "pq-error" in html
    assert caplog.records and SECRET_SENTENCE not in caplog.text
    assert not any("银发守望" in r.getMessage() for r in caplog.records)
    done = run_cli("check", str(kept), "--against", str(CORPUS / "jilin_province_14th_fyp_2021.txt"), "--no-dense")
    assert done.returncode == 0 and "用时" in done.stdout  # the check ran
    assert "银发守望" not in done.stderr
