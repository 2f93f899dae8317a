import hashlib
import http.server
import pickle
import tarfile
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from helpers.cifar_archive import cifar_members, md5s, write_archive

from tinyedge.data import cifar100
from tinyedge.errors import DatasetError


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the CLI's stderr for the CLI
        pass


@pytest.fixture
def http_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path/served``."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_reader_on_generated_archive(tmp_path):
    files = cifar_members(n_train=20, n_test=10)
    archive = tmp_path / cifar100.ARCHIVE_NAME
    write_archive(archive, files)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    ds = cifar100.load_cifar100(tmp_path, file_md5=md5s(files))
    assert ds.train_images.shape == (20, 32, 32, 3) and ds.train_images.dtype == np.uint8
    assert ds.test_images.shape == (10, 32, 32, 3)
    assert ds.num_classes == 100 and ds.class_names[7] == "class7"
    assert ds.train_labels.tolist() == list(range(20))
    # Planes R, G, B of each row become the last axis (NHWC).
    raw = pickle.loads(files["train"], encoding="bytes")[b"data"]
    assert ds.train_images[3, 2, 5, 1] == raw[3, 1024 + 2 * 32 + 5]


def test_fetch_downloads_verifies_and_extracts_from_loopback_server(http_server, tmp_path):
    served, base = http_server
    files = cifar_members()
    md5 = write_archive(served / cifar100.ARCHIVE_NAME, files)
    root = tmp_path / "data"
    seen = []
    folder = cifar100.fetch(root, url=f"{base}/{cifar100.ARCHIVE_NAME}", archive_md5=md5,
                            file_md5=md5s(files), progress=lambda done, total: seen.append(done))
    assert folder == root / "cifar-100-python"
    served_bytes = (served / cifar100.ARCHIVE_NAME).read_bytes()
    assert (root / cifar100.ARCHIVE_NAME).read_bytes() == served_bytes
    assert seen and seen[-1] == (served / cifar100.ARCHIVE_NAME).stat().st_size
    assert cifar100.load_cifar100(root, file_md5=md5s(files)).train_images.shape[0] == 20

    # A present, verified copy is never downloaded again: the server no longer has it.
    (served / cifar100.ARCHIVE_NAME).unlink()
    assert cifar100.fetch(root, url=f"{base}/gone", archive_md5=md5, file_md5=md5s(files)) == folder
    # A present archive is verified and re-extracted without a download.
    import shutil
    shutil.rmtree(folder)
    cifar100.fetch(root, url=f"{base}/gone", archive_md5=md5, file_md5=md5s(files))
    assert (folder / "train").is_file()


def test_fetch_refuses_md5_mismatch_and_leaves_nothing(http_server, tmp_path):
    served, base = http_server
    write_archive(served / cifar100.ARCHIVE_NAME, cifar_members())
    root = tmp_path / "data"
    with pytest.raises(DatasetError, match="wrong MD5"):
        cifar100.fetch(root, url=f"{base}/{cifar100.ARCHIVE_NAME}")  # official MD5 expected
    assert list(root.iterdir()) == []


def test_cli_fetch_mismatch_is_one_line_exit_2(http_server, tmp_path, run_cli):
    served, base = http_server
    write_archive(served / cifar100.ARCHIVE_NAME, cifar_members())
    result = run_cli("data", "fetch", "cifar100", "--root", str(tmp_path / "d"),
                     "--url", f"{base}/{cifar100.ARCHIVE_NAME}")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "wrong MD5" in result.err


def test_unreachable_url_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="could not download"):
        cifar100.fetch(tmp_path, url="http://127.0.0.1:9/none.tar.gz", timeout=5)


@pytest.mark.parametrize("evil", ["../escape", "/etc/evil", "cifar-100-python/../../x"])
def test_path_traversal_archive_is_refused(tmp_path, evil):
    archive = tmp_path / cifar100.ARCHIVE_NAME
    md5 = write_archive(archive, {evil: b"boom"}, prefix="")
    with pytest.raises(DatasetError, match="unsafe entry"):
        cifar100.fetch(tmp_path, archive_md5=md5)
    assert not (tmp_path.parent / "escape").exists()


def test_symlink_member_is_refused(tmp_path):
    archive = tmp_path / cifar100.ARCHIVE_NAME
    with tarfile.open(archive, "w:gz") as tar:
        link = tarfile.TarInfo("cifar-100-python/train")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with pytest.raises(DatasetError, match="unsafe entry"):
        cifar100.fetch(tmp_path, archive_md5=md5)


def test_missing_dataset_says_how_to_fetch(tmp_path):
    with pytest.raises(DatasetError, match=r"tinyedge data fetch cifar100 --root"):
        cifar100.load_cifar100(tmp_path)


def test_tampered_file_is_not_unpickled(tmp_path):
    files = cifar_members()
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    expected = md5s(files)
    (folder / "train").write_bytes(files["train"] + b"x")
    with pytest.raises(DatasetError, match="corrupt"):
        cifar100.load_cifar100(tmp_path, file_md5=expected)


def test_unpickler_refuses_foreign_classes(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    data = pickle.dumps({b"data": Payload()}, protocol=3)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    path = Path(folder / "meta")
    path.write_bytes(data)
    with pytest.raises(DatasetError, match=r"refusing to load builtins\.print"):
        cifar100._unpickle(path, hashlib.md5(data).hexdigest())
