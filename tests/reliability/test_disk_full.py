"""A full disk refuses an upload clearly (507), keeps nothing, and /healthz says so."""
from __future__ import annotations

import io
import subprocess

import pytest

from portal.extensions import db
from portal.models import Document

FILE = b"%PDF-1.4\n" + b"0" * (1536 * 1024)  # 1.5 MB, more than the small disk has left


@pytest.fixture
def small_disk(app, tmp_path):
    """A 2 MB tmpfs as the upload folder, already nearly full."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        (mount / "filler").write_bytes(b"\0" * (1280 * 1024))
        app.config["UPLOAD_FOLDER"] = str(mount / "uploads")
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


def test_an_upload_on_a_full_disk_is_a_clear_507_and_leaves_nothing(app, org, employee_client, small_disk):
    response = employee_client.post("/me/upload", data={"files": (io.BytesIO(FILE), "big.pdf")},
                                    content_type="multipart/form-data")
    assert response.status_code == 507
    assert "no room left to store files" in response.get_data(as_text=True)
    assert db.session.query(Document).count() == 0
    assert [str(p) for p in _files(small_disk)] == ["filler"]


def test_healthz_reports_free_space_in_the_upload_folder(app, client, small_disk):
    app.config["HEALTH_MIN_FREE_BYTES"] = 1024 * 1024  # the disk has less than 1 MB left
    report = client.get("/healthz").get_json()
    assert report["storage"]["ok"] is False
    assert 0 < report["storage"]["free_bytes"] < 1024 * 1024
    assert report["status"] != "ok"
