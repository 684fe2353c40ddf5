"""`SandboxCodeExecutor`: every block in a fresh bubblewrap sandbox (SECURITY.md c.1, posture "Code execution").

One ``bwrap`` process per block, built like this:

* ``--unshare-all --unshare-user`` (user, mount, PID, IPC, UTS, cgroup and **network** namespaces; ``--share-net``
  only when the agent's config sets ``network=True``) and ``--disable-userns`` (no nested namespaces inside);
* ``--die-with-parent`` and its own PID namespace, so killing the one ``bwrap`` process kills everything the code
  started — ``setsid``, double forks and ``nohup`` included — and the output pipes reach EOF at once (lesson 9);
* ``--new-session`` (no TIOCSTI injection into a terminal), ``--clearenv`` + a handful of ``--setenv``;
* a read-only view of the interpreter tree only: ``/usr`` with the ``/bin``, ``/lib``… symlinks, ``ld.so.cache`` and
  ``/etc/alternatives``; synthetic ``/etc/passwd`` and ``/etc/group`` (root and nobody); nothing else of the host —
  no ``/root``, no ``/home``, no studio data dir, no ``/etc`` secrets; the root itself is remounted read-only;
* ``--proc``, ``--dev``, a size-capped tmpfs ``/tmp``, the run's work dir bound read-write at ``/workspace``;
* a non-root uid: as root we drop to host uid 65534 (``setpriv``) before starting ``bwrap`` (``RLIMIT_NPROC`` is not enforced for
  root), and the code sees uid 65534 inside. On kernels ≥ 5.14 the process count is kept per user namespace, so one
  sandbox's fork bomb does not eat another's budget. An unprivileged ``bwrap`` must be able to *traverse* the work
  dir's path, and inside its user namespace it cannot use ``/proc/self/fd`` tricks (the process is non-dumpable), so
  when the path is not reachable by uid 65534 (e.g. under ``/root``) we start it through a *portal*: ``unshare
  --mount`` (a private mount namespace, nothing leaks to the host) bind-mounts the work dir onto an empty world-
  traversable directory, then ``setpriv`` drops to 65534 and execs ``bwrap``;
* rlimits through ``prlimit`` (util-linux, inside the bound ``/usr``) — CPU seconds, address space, file size, open
  files, processes, no core files — applied after ``bwrap`` has set up, so they bind only the code;
* a wall-clock timeout and `cancel()` in the reader loop (`_proc`), output capped with a truncation marker.

If ``bwrap`` is missing or its self-test (a ``print`` inside a real sandbox, once per configuration and process) fails,
the constructor raises `SandboxUnavailableError` with an install hint. There is **never** a fallback to running the code
unsandboxed.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from studio.errors import CodeExecutionError
from studio.runtime.code._blocks import DEFAULT_OUTPUT_CAP, BlockExecutor
from studio.runtime.code._proc import ProcOutcome, run_process

SANDBOX_WORKDIR = "/workspace"
SANDBOX_UID = 65534
DEFAULT_PYTHON = "/usr/bin/python3.11"
_PRLIMIT = "/usr/bin/prlimit"
_ROOT_LINKS = ("/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin")
_ETC_ALWAYS = ("/etc/ld.so.cache", "/etc/alternatives")
_ETC_NETWORK = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/ssl")
_ETC_NETWORK += ("/etc/ca-certificates",)
_PASSWD = b"root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/workspace:/usr/sbin/nologin\n"
_GROUP = b"root:x:0:\nnogroup:x:65534:\n"
_SETPRIV = ("/usr/bin/setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups", "--")
# Runs as root in a private mount namespace: expose the work dir at the portal path, drop to 65534, exec bwrap.
_PORTAL_SCRIPT = (
    'mount --bind -- "$1" "$2" && shift 2 && '
    f'exec setpriv --reuid={SANDBOX_UID} --regid={SANDBOX_UID} --clear-groups -- "$@"'
)
_PORTAL_PREFIX = (
    "/usr/bin/unshare",
    "--mount",
    "--propagation",
    "private",
    "--",
    "/bin/sh",
    "-c",
    _PORTAL_SCRIPT,
    "sh",
)
_INSTALL_HINT = (
    "Install bubblewrap (Debian/Ubuntu: 'apt-get install bubblewrap'; Fedora: 'dnf install bubblewrap') and make sure "
    "unprivileged user namespaces are allowed (sysctl user.max_user_namespaces > 0; on Ubuntu 24.04 also "
    "kernel.apparmor_restrict_unprivileged_userns=0), or choose the Docker executor."
)


class SandboxUnavailableError(CodeExecutionError):
    """bubblewrap is missing or does not work here; code execution refuses to run unsandboxed instead."""


def _memfd(name: str, data: bytes) -> int:
    """An fd holding `data` from offset 0 (a memfd: unlike a pipe it never blocks, whatever the size)."""
    fd = os.memfd_create(name, 0)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def reachable_by(path: Path, uid: int, gid: int) -> bool:
    """Whether `uid`/`gid` may traverse every directory down to `path` (mode bits; ACLs are not consulted)."""
    for directory in [*reversed(path.parents), path]:
        st = os.stat(directory)
        if st.st_uid == uid:
            bit = 0o100
        elif st.st_gid == gid:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def _host_root_layout() -> list[str]:
    """Recreate the host's merged-/usr symlinks (/bin -> usr/bin ...) or bind the real directories read-only."""
    args: list[str] = []
    for path in _ROOT_LINKS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


class SandboxCodeExecutor(BlockExecutor):
    """Run Python and shell blocks inside bubblewrap with namespaces, minimal binds, a non-root uid and rlimits."""

    def __init__(
        self,
        work_dir: str | os.PathLike[str] | None = None,
        timeout: float = 60,
        network: bool = False,
        cpu_seconds: int = 60,
        memory_mb: int = 512,
        file_size_mb: int = 64,
        max_open_files: int = 256,
        max_processes: int = 64,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        python: str = DEFAULT_PYTHON,
        *,
        tmp_size_mb: int = 64,
        env: Mapping[str, str] | None = None,
        ro_binds: Sequence[str] = (),
    ):
        super().__init__(timeout=timeout, output_cap=output_cap)
        self.network = bool(network)
        self.limits = {
            "cpu": int(cpu_seconds),
            "as": int(memory_mb) << 20,
            "fsize": int(file_size_mb) << 20,
            "nofile": int(max_open_files),
            "nproc": int(max_processes),
            "core": 0,
        }
        self.tmp_size = int(tmp_size_mb) << 20
        self.python = python
        self.extra_env = dict(env or {})
        self.ro_binds = [os.path.abspath(p) for p in ro_binds]
        self._bwrap = shutil.which("bwrap")
        if self._bwrap is None:
            raise SandboxUnavailableError(
                f"The code sandbox needs bubblewrap ('bwrap'), which is not installed. {_INSTALL_HINT}"
            )
        needs = [(_PRLIMIT, "prlimit (util-linux)"), (python, "the sandbox's Python interpreter")]
        if os.geteuid() == 0:
            needs.append((_SETPRIV[0], "setpriv (util-linux), to drop root before starting bwrap"))
        for needed, what in needs:
            if not os.access(needed, os.X_OK):
                raise SandboxUnavailableError(
                    f"The code sandbox needs {what} at {needed!r}, which is missing. {_INSTALL_HINT}"
                )
        # As root we drop to an unprivileged host uid before bwrap starts; otherwise we already are unprivileged.
        self._host_ids = (SANDBOX_UID, SANDBOX_UID) if os.geteuid() == 0 else None
        self._owns_work_dir = work_dir is None
        path = Path(tempfile.mkdtemp(prefix="parley-sandbox-")) if work_dir is None else Path(work_dir).absolute()
        path.mkdir(parents=True, exist_ok=True)
        if self._host_ids is not None:
            os.chown(path, *self._host_ids)  # the sandbox user must be able to write its own work dir
        self._work_dir = path
        self._portal: Path | None = None
        if self._host_ids is not None and not reachable_by(path, *self._host_ids):
            self._portal = Path(tempfile.mkdtemp(prefix="parley-portal-"))
            os.chmod(self._portal, 0o755)
        # Temp dirs we made go away with the executor even if nobody calls close() (like TemporaryDirectory).
        owned = [p for p in (self._portal, path if self._owns_work_dir else None) if p is not None]
        self._finalizer = weakref.finalize(self, _remove_dirs, owned)
        _self_test(self)

    @property
    def work_dir(self) -> Path:
        return self._work_dir

    def _file_owner(self) -> tuple[int, int] | None:
        return self._host_ids

    def bwrap_argv(self, command: Sequence[str], *, work_source: str, data_fds: Sequence[tuple[int, str]]) -> list[str]:
        """The full argv: bwrap options, then prlimit, then `command` (exposed for tests and audits)."""
        assert self._bwrap is not None
        argv = [self._bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
        if self.network:
            argv.append("--share-net")
        argv += ["--die-with-parent", "--new-session", "--clearenv"]
        for key, value in self._sandbox_env().items():
            argv += ["--setenv", key, value]
        argv += ["--ro-bind", "/usr", "/usr", *_host_root_layout()]
        etc = _ETC_ALWAYS + (_ETC_NETWORK if self.network else ())
        for path in etc:
            argv += ["--ro-bind-try", os.path.realpath(path), path]
        for fd, dest in data_fds:
            argv += ["--ro-bind-data", str(fd), dest]
        for path in self.ro_binds:
            argv += ["--ro-bind", path, path]
        argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(self.tmp_size), "--tmpfs", "/tmp"]
        argv += ["--bind", work_source, SANDBOX_WORKDIR, "--chdir", SANDBOX_WORKDIR]
        argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox", "--remount-ro", "/"]
        # CPU: soft limit → SIGXCPU (exit 152), hard limit one second later → SIGKILL if SIGXCPU was caught.
        limits = [
            f"--{name}={value}" if name != "cpu" else f"--cpu={value}:{value + 1}"
            for name, value in self.limits.items()
        ]
        argv += ["--", _PRLIMIT, *limits, "--", *command]
        return argv

    def _sandbox_env(self) -> dict[str, str]:
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": SANDBOX_WORKDIR,
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "TMPDIR": "/tmp",
            "USER": "nobody",
        }
        env.update(self.extra_env)
        return env

    def run_command(
        self,
        command: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        data: Mapping[str, bytes] | None = None,
        output_cap: int | None = None,
    ) -> ProcOutcome:
        """Run `command` (paths as seen inside) in a fresh sandbox on this executor's work dir.

        `data` maps sandbox paths to file contents bound read-only (e.g. a tool's source). Cancellable with `cancel()`.
        """
        self._cancel.clear()
        return self._run(command, stdin=stdin, timeout=timeout, data=data, output_cap=output_cap)

    def _run(
        self,
        command: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        data: Mapping[str, bytes] | None = None,
        output_cap: int | None = None,
    ) -> ProcOutcome:
        files = {"/etc/passwd": _PASSWD, "/etc/group": _GROUP, **(data or {})}
        fds: list[int] = []
        try:
            data_fds = []
            for dest, content in files.items():
                fds.append(_memfd("parley-data", content))
                data_fds.append((fds[-1], dest))
            if self._portal is not None:
                bwrap = self.bwrap_argv(command, work_source=str(self._portal), data_fds=data_fds)
                argv = [*_PORTAL_PREFIX, str(self._work_dir), str(self._portal), *bwrap]
            elif self._host_ids is not None:
                # setpriv rather than Popen(user=...): with a uid change CPython must fork() the whole studio
                # process instead of vfork()-ing it, which costs more than one small exec.
                argv = [*_SETPRIV, *self.bwrap_argv(command, work_source=str(self._work_dir), data_fds=data_fds)]
            else:
                argv = self.bwrap_argv(command, work_source=str(self._work_dir), data_fds=data_fds)
            return run_process(
                argv,
                cwd="/",
                env={"PATH": "/usr/bin:/bin"},
                timeout=self.timeout if timeout is None else timeout,
                output_cap=self.output_cap if output_cap is None else output_cap,
                cancel=self._cancel,
                stdin=stdin,
                pass_fds=fds,
            )
        finally:
            for fd in fds:
                os.close(fd)

    def _run_file(self, lang: str, relpath: str) -> ProcOutcome:
        command = [self.python, relpath] if lang == "python" else ["/usr/bin/bash", relpath]
        return self._run(command)

    def close(self) -> None:
        """Remove the work dir if this executor created it (a given work dir is the caller's and is kept)."""
        self._finalizer()


def _remove_dirs(paths: list[Path]) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


@functools.cache
def _probe(bwrap: str, python: str, network: bool, ro_binds: tuple[str, ...], via_portal: bool) -> str | None:
    """None when a real sandbox runs `python` here, else bubblewrap's complaint. Cached per configuration."""
    probe = SandboxCodeExecutor.__new__(SandboxCodeExecutor)
    BlockExecutor.__init__(probe, timeout=30)
    probe.network, probe.python, probe.ro_binds, probe.extra_env = network, python, list(ro_binds), {}
    probe.limits = {"cpu": 10, "as": 512 << 20, "fsize": 1 << 20, "nofile": 64, "nproc": 16, "core": 0}
    probe.tmp_size, probe._bwrap = 1 << 20, bwrap
    probe._host_ids = (SANDBOX_UID, SANDBOX_UID) if os.geteuid() == 0 else None
    with tempfile.TemporaryDirectory(prefix="parley-sandbox-probe-") as tmp:
        probe._work_dir = Path(tmp) / "hidden" / "work" if via_portal else Path(tmp)
        probe._work_dir.mkdir(parents=True, exist_ok=True)
        probe._portal = Path(tmp) / "portal" if via_portal else None
        if probe._portal is not None:
            probe._portal.mkdir()
            os.chmod(Path(tmp), 0o755)
            os.chmod(Path(tmp) / "hidden", 0o700)
        if probe._host_ids is not None:
            os.chown(probe._work_dir, *probe._host_ids)
        outcome = probe._run([python, "-c", "print('parley-sandbox-ok')"])
    if outcome.exit_code == 0 and outcome.stdout.strip() == "parley-sandbox-ok":
        return None
    return (outcome.stderr or outcome.stdout).strip()[:500] or f"exit status {outcome.exit_code}"


def _self_test(executor: SandboxCodeExecutor) -> None:
    assert executor._bwrap is not None
    config = (
        executor._bwrap,
        executor.python,
        executor.network,
        tuple(executor.ro_binds),
        executor._portal is not None,
    )
    problem = _probe(*config)
    if problem is not None:
        raise SandboxUnavailableError(
            f"The code sandbox (bubblewrap) failed its self-test: {problem!r}. {_INSTALL_HINT}"
        )
