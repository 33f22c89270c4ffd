"""Fixtures for the emulator-driven integration tests (docs/testing.md)."""

import shutil

import pytest

import keel


@pytest.fixture(scope="session")
def disk_img():
    """build/disk.img, which every test copies; never written to."""
    if not keel.DISK_IMG.exists():
        pytest.fail(f"{keel.DISK_IMG} is missing: run `make` in {keel.ROOT} first "
                    "(`make integration` builds it and runs these tests)", pytrace=False)
    for tool in ("mcopy", "mdel", "mtype", "mdir"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: the tests edit images with mtools "
                        "(apt-get install mtools)", pytrace=False)
    return keel.DISK_IMG


@pytest.fixture
def image(disk_img, tmp_path):
    """A factory: image(cfg_text=..., files=..., remove=..., patch=...)
    returns the path of an edited copy of build/disk.img in tmp_path."""
    count = [0]

    def make(**kw):
        count[0] += 1
        kw.setdefault("name", f"disk{count[0]}.img")
        return keel.make_image(tmp_path, src=disk_img, **kw)
    return make


def pytest_report_header(config):
    img = keel.DISK_IMG
    return [f"keel image: {img}" + ("" if img.exists() else " (MISSING: run make)"),
            f"qemu: {keel.QEMU or 'not installed'}, bochs: {keel.BOCHS or 'not installed'}"]
