"""Build a tiny local image for the Docker executor tests — no registry is reachable, so nothing is pulled.

The image is ``docker import`` of an in-memory root filesystem holding only the merged-/usr symlinks
(``bin -> usr/bin`` ...), an empty ``usr`` and ``/etc/passwd``/``/etc/group`` with root and nobody. The tests bind the
host's ``/usr`` read-only into the container for Python (SECURITY.md c.2 did the same). There is deliberately no
``/tmp`` in the image: a tmpfs mounted where the image has no directory gets mode 1777 (the c.2 gotcha).
"""

from __future__ import annotations

import io
import os
import tarfile
from typing import Any

TEST_IMAGE = "parley-test-python:1"
HOST_PYTHON_BINDS = {"/usr": "/usr"}


def _rootfs_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)

        def add_file(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))

        # /sbin is a real directory: Docker binds its init at /sbin/docker-init, which must not land in the host /usr.
        for name in ("usr", "etc", "proc", "dev", "sys", "sbin"):
            add_dir(name)
        for link in ("bin", "lib", "lib64"):
            path = f"/{link}"
            if os.path.islink(path):
                info = tarfile.TarInfo(link)
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
                tar.addfile(info)
        add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n")
        add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    return buf.getvalue()


def build_test_image(client: Any, tag: str = TEST_IMAGE) -> str:
    """Import the minimal root filesystem into the daemon behind `client` (a docker.DockerClient) as `tag`."""
    repository, _, version = tag.partition(":")
    client.api.import_image_from_data(_rootfs_tar(), repository=repository, tag=version or "latest")
    client.images.get(tag)  # raises if the import did not produce the tag
    return tag
