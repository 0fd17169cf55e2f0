"""Safe defaults: loopback only unless a login is set, uploads under a safe name in a private
temporary directory and deleted, no pickle or eval on anything read from disk, no document text in
the logs (issue 8, "Security defaults")."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ConfigError
from rag.settings import Settings
from tests.conftest import CORPUS
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
    assert all(Path(f).is_relative_to(scratch) for f in files)


def test_index_files_need_no_pickle(fake_index_dir: Path):
    for npy in fake_index_dir.rglob("*.npy"):
        np.load(npy, allow_pickle=False)
