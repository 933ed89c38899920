"""The SSH test rig: real Debian 12 roots, each with a real OpenSSH server on 127.0.0.1.

- The base root is built once with `mmdebstrap` (minbase + openssh-server + sudo, from
  deb.debian.org bookworm) and cached under `$FLEETPATCH_RIG_CACHE` or
  `~/.cache/fleetpatch-test/`; a `.complete` marker says the build finished, a lock file keeps
  two test runs from building at once. Delete the folder to rebuild.
- Each rig host is a copy of the base root (its own dpkg database), with `/proc` mounted, its own
  host key, a login `fpdeploy` with password-less sudo and a test key, and a local apt
  repository `file:/srv/fp-repo` of small packages built here with `dpkg-deb` (old and new
  `fp-demo-tool`, `linux-image-fp-demo` whose install writes `/run/reboot-required` as kernel
  packages do, and `fp-demo-held`). The old versions are installed; Debian's mirror is removed
  from the sources, so nothing reaches the network after the build.
- `sshd` runs from the copy with `chroot`, listening on 127.0.0.1 only, on a free port.
- Nothing here reboots anything. A chroot shares the machine's kernel and so its boot id; the
  rig binds `/etc/fp-test/boot_id` over the copy's `/proc/sys/kernel/random/boot_id`, and the
  named test double `/usr/local/sbin/fp-test-reboot` writes a new id there, drops every sshd of
  that root (connections die as in a reboot), clears `/run`'s reboot flags and starts sshd again
  - or not, when `/etc/fp-test/never-return` exists (a reboot that never comes back).

Teardown kills every process whose root is the copy, unmounts and deletes it; it runs from the
fixture's finaliser and from `atexit`, so no sshd or mount outlives the tests.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
INCLUDE = ("openssh-server", "sudo")
ROOT_VERSION = "v1"  # bump when the build command changes
BUILD_TIMEOUT = 900
USER = "fpdeploy"
DOUBLE = "/usr/local/sbin/fp-test-reboot"

PACKAGES = {
    "fp-demo-tool": ("1.0-1", "1.1-1"),
    "linux-image-fp-demo": ("1.0-1", "1.1-1"),
    "fp-demo-held": ("1.0-1", "1.1-1"),
}

REBOOT_DOUBLE = """#!/bin/sh
# fp-test-reboot: a TEST DOUBLE standing in for `systemctl reboot` in fleetpatch's SSH rig.
# It reboots nothing. It plays what a reboot looks like over SSH: every sshd of this root goes
# away (connections drop), /run's reboot flags are cleared as a fresh tmpfs would be, a new boot
# id is written where this root's /proc/sys/kernel/random/boot_id is bound, and sshd starts
# again - unless /etc/fp-test/never-return exists (a reboot that never comes back).
set -eu
echo "fp-test-reboot asked at $(date +%s)" >> /etc/fp-test/reboots.log
setsid /bin/sh -c '
  sleep 1
  me=$(stat -Lc %d:%i /)
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = sshd ] || continue
    [ "$(stat -Lc %d:%i "$p/root" 2>/dev/null)" = "$me" ] || continue
    kill -9 "${p#/proc/}" 2>/dev/null || true
  done
  rm -f /run/reboot-required /run/reboot-required.pkgs
  cat /proc/sys/kernel/random/uuid > /etc/fp-test/boot_id
  [ -e /etc/fp-test/never-return ] && exit 0
  sleep 1
  exec /usr/sbin/sshd
' </dev/null >/dev/null 2>&1 &
exit 0
"""

KERNEL_POSTINST = """#!/bin/sh
# As Debian's kernel packages do (through /etc/kernel/postinst.d): ask for a reboot.
set -e
if [ "$1" = configure ]; then
  touch /run/reboot-required
  echo linux-image-fp-demo >> /run/reboot-required.pkgs
fi
"""


class RigUnavailable(Exception):
    """What the rig needs is missing here (a tool, root, the mirror)."""


def cache_dir() -> Path:
    found = os.environ.get("FLEETPATCH_RIG_CACHE")
    return Path(found) if found else Path.home() / ".cache" / "fleetpatch-test"


def missing_tools() -> list[str]:
    tools = ("mmdebstrap", "chroot", "mount", "dpkg-deb", "dpkg-scanpackages", "ssh-keygen")
    missing = [t for t in tools if shutil.which(t) is None]
    if not Path("/usr/sbin/sshd").exists() and shutil.which("sshd") is None:
        missing.append("sshd (openssh-server)")
    if os.geteuid() != 0:
        missing.append("root (chroot and mount)")
    return missing


def _run(
    argv: list[str],
    *,
    timeout: float = 120,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> str:
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return str(done.stdout)


def base_root() -> Path:
    """The cached Debian 12 root, built on first use (about 20-60 s)."""
    home = cache_dir() / f"debian12-sshd-{ROOT_VERSION}"
    root, marker = home / "root", home / ".complete"
    if marker.exists():
        return root
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return root
        partial = home / f"root.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        argv = [
            "mmdebstrap",
            "--variant=minbase",
            f"--include={','.join(INCLUDE)}",
            "--dpkgopt=path-exclude=/usr/share/man/*",
            "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-exclude=/usr/share/locale/*",
            SUITE,
            str(partial),
            MIRROR,
        ]
        try:
            _run(argv, timeout=BUILD_TIMEOUT)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise RigUnavailable(f"mmdebstrap could not build the test root: {exc}") from exc
        partial.rename(root)
        marker.write_text(datetime.now(UTC).isoformat() + "\n")
    return root


# -- packages ---------------------------------------------------------------------------------


def build_packages(where: Path) -> Path:
    """A `pool/` of .deb files made with dpkg-deb; returns the pool folder."""
    pool = where / "pool"
    pool.mkdir(parents=True, exist_ok=True)
    for name, versions in PACKAGES.items():
        for version in versions:
            tree = where / "build" / f"{name}_{version}"
            (tree / "DEBIAN").mkdir(parents=True, exist_ok=True)
            (tree / "DEBIAN" / "control").write_text(
                f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
                "Maintainer: fleetpatch tests <tests@fleetpatch.invalid>\n"
                f"Description: fleetpatch SSH rig test package {name}\n"
            )
            tool = tree / "usr" / "bin" / name
            tool.parent.mkdir(parents=True, exist_ok=True)
            tool.write_text(f"#!/bin/sh\necho {name} {version}\n")
            tool.chmod(0o755)
            if name == "linux-image-fp-demo":
                post = tree / "DEBIAN" / "postinst"
                post.write_text(KERNEL_POSTINST)
                post.chmod(0o755)
            _run(
                [
                    "dpkg-deb",
                    "--root-owner-group",
                    "-Zgzip",
                    "--build",
                    str(tree),
                    str(pool / f"{name}_{version}_all.deb"),
                ]
            )
    return pool


def write_repo(repo: Path, pool: Path) -> None:
    """`dists/bookworm/main/binary-amd64/Packages` and a `Release` listing its hashes."""
    shutil.copytree(pool, repo / "pool", dirs_exist_ok=True)
    binary = repo / "dists" / SUITE / "main" / "binary-amd64"
    binary.mkdir(parents=True, exist_ok=True)
    packages = _run(["dpkg-scanpackages", "-m", "pool", "/dev/null"], cwd=repo)
    (binary / "Packages").write_text(packages)
    data = (binary / "Packages").read_bytes()
    rel = "main/binary-amd64/Packages"
    date = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")
    (repo / "dists" / SUITE / "Release").write_text(
        f"Origin: Debian\nLabel: fleetpatch-rig\nSuite: {SUITE}\nCodename: {SUITE}\n"
        f"Version: 12\nDate: {date}\nArchitectures: amd64\nComponents: main\n"
        f"SHA256:\n {hashlib.sha256(data).hexdigest()} {len(data)} {rel}\n"
        f"MD5Sum:\n {hashlib.md5(data).hexdigest()} {len(data)} {rel}\n"
    )


# -- hosts ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.1)
    return False


@dataclass
class RigHost:
    name: str
    root: Path
    port: int
    keys: Path
    mounts: list[Path] = field(default_factory=list)
    sshd: subprocess.Popen[bytes] | None = None

    @property
    def host_key(self) -> Path:
        return self.root / "etc" / "ssh" / "fp_test_host_ed25519_key"

    def known_hosts_line(self) -> str:
        kind, key = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {key}\n"

    def chroot(self, *argv: str, timeout: float = 120) -> str:
        return _run(
            ["chroot", str(self.root), *argv],
            timeout=timeout,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"},
        )

    def boot_id(self) -> str:
        return (self.root / "etc" / "fp-test" / "boot_id").read_text().strip()

    def installed(self, package: str) -> str:
        return self.chroot("dpkg-query", "-W", "-f", "${Version}", package).strip()

    def reset(self) -> None:
        """Back to the old versions, no reboot pending: as the rig made the host."""
        olds = [f"/srv/fp-repo/pool/{n}_{v[0]}_all.deb" for n, v in PACKAGES.items()]
        self.chroot("dpkg", "-i", *olds)
        for flag in ("reboot-required", "reboot-required.pkgs"):  # as if booted since
            (self.root / "run" / flag).unlink(missing_ok=True)

    def start_sshd(self) -> None:
        log = open(self.root.parent / "sshd.log", "ab")  # noqa: SIM115 - kept for the process
        self.sshd = subprocess.Popen(
            ["chroot", str(self.root), "/usr/sbin/sshd", "-D", "-e"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        if not _wait_port(self.port, 15):
            raise RuntimeError(f"sshd of {self.name} did not listen on {self.port}")

    def change_host_key(self) -> None:
        """As a reinstalled (or impersonated) host: a new key, sshd restarted with it."""
        self.stop_processes()
        for path in (self.host_key, self.host_key.with_suffix(".pub")):
            path.unlink()
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)])
        self.start_sshd()

    def stop_processes(self) -> None:
        """SIGKILL every process whose root is this copy (sshd, sessions, apt), then wait."""
        target = str(self.root.resolve())
        for _ in range(50):
            pids = [pid for pid in _pids() if _root_of(pid) == target]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        if self.sshd is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.sshd.wait(timeout=5)
            self.sshd = None

    def teardown(self) -> None:
        self.stop_processes()
        for mount in reversed(self.mounts):
            done = subprocess.run(["umount", str(mount)], capture_output=True, check=False)
            if done.returncode != 0:
                subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)
        self.mounts.clear()
        if not _mounted_below(self.root):
            shutil.rmtree(self.root.parent, ignore_errors=True)


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _root_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/root")
    except OSError:
        return ""


def _mounted_below(root: Path) -> bool:
    prefix = str(root.resolve())
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1].startswith(prefix) for line in mounts if line.strip())


@dataclass
class Rig:
    """Several rig hosts, the client key they trust and the known_hosts file the tests write."""

    workdir: Path
    hosts: list[RigHost] = field(default_factory=list)

    @property
    def client_key(self) -> Path:
        return self.workdir / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.workdir / "known_hosts"

    @property
    def catalog_lists(self) -> Path:
        """The rig repository's Release and Packages, named as in /var/lib/apt/lists (apt does
        not copy the indexes of a `file:` repository there)."""
        return self.workdir / "lists"

    def write_known_hosts(self) -> None:
        self.known_hosts.write_text("".join(h.known_hosts_line() for h in self.hosts))

    def teardown(self) -> None:
        for host in self.hosts:
            host.teardown()


_LIVE: list[Rig] = []


def _teardown_all() -> None:
    while _LIVE:
        _LIVE.pop().teardown()


atexit.register(_teardown_all)


def make_host(rig: Rig, name: str, base: Path, repo: Path) -> RigHost:
    home = rig.workdir / name
    home.mkdir()
    root = home / "root"
    _run(["cp", "-a", "--reflink=auto", str(base), str(root)], timeout=300)
    host = RigHost(name, root, free_port(), rig.client_key)
    rig.hosts.append(host)
    state = root / "etc" / "fp-test"
    state.mkdir(parents=True)
    (state / "boot_id").write_text(_uuid() + "\n")
    (root / "etc" / "hostname").write_text(name + "\n")
    # The chroot shares the machine's hostname (UTS): let sudo resolve it.
    (root / "etc" / "hosts").write_text(f"127.0.0.1 localhost {name} {socket.gethostname()}\n")
    (root / "etc" / "machine-id").write_text(hashlib.md5(name.encode()).hexdigest() + "\n")
    proc = root / "proc"
    _run(["mount", "-t", "proc", "proc", str(proc)])
    host.mounts.append(proc)
    boot = proc / "sys" / "kernel" / "random" / "boot_id"
    _run(["mount", "--bind", str(state / "boot_id"), str(boot)])
    host.mounts.append(boot)
    _configure(host, repo)
    host.start_sshd()
    return host


def _configure(host: RigHost, repo: Path) -> None:
    root = host.root
    shutil.copytree(repo, root / "srv" / "fp-repo")
    (root / "etc" / "apt" / "sources.list").write_text(
        f"deb [trusted=yes check-date=no] file:/srv/fp-repo {SUITE} main\n"
    )
    for extra in (root / "etc" / "apt" / "sources.list.d").glob("*"):
        extra.unlink()
    double = root / DOUBLE.lstrip("/")
    double.parent.mkdir(parents=True, exist_ok=True)
    double.write_text(REBOOT_DOUBLE)
    double.chmod(0o755)
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host.host_key)])
    (root / "etc" / "ssh" / "sshd_config.d" / "fp-test.conf").write_text(
        f"Port {host.port}\nListenAddress 127.0.0.1\nHostKey /etc/ssh/fp_test_host_ed25519_key\n"
        "PidFile /run/sshd.pid\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nUseDNS no\n"
    )
    (root / "run" / "sshd").mkdir(parents=True, exist_ok=True)
    host.chroot("useradd", "-m", "-s", "/bin/sh", USER)
    (root / "etc" / "sudoers.d" / "fp-test").write_text(f"{USER} ALL=(ALL) NOPASSWD: ALL\n")
    (root / "etc" / "sudoers.d" / "fp-test").chmod(0o440)
    pub = host.keys.with_suffix(".pub").read_text()
    for home in (root / "root", root / "home" / USER):
        ssh = home / ".ssh"
        ssh.mkdir(mode=0o700, exist_ok=True)
        (ssh / "authorized_keys").write_text(pub)
    host.chroot("chown", "-R", f"{USER}:{USER}", f"/home/{USER}/.ssh")
    host.chroot("apt-get", "update", "-q")
    host.reset()


def _uuid() -> str:
    return Path("/proc/sys/kernel/random/uuid").read_text().strip()


@contextlib.contextmanager
def rig(workdir: Path, names: list[str]) -> Iterator[Rig]:
    """Hosts `names`, running; torn down on exit even when a test or the setup fails."""
    missing = missing_tools()
    if missing:
        raise RigUnavailable("missing: " + ", ".join(missing))
    base = base_root()
    made = Rig(workdir)
    _LIVE.append(made)
    try:
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(made.client_key)])
        pool = build_packages(workdir / "debs")
        repo = workdir / "repo"
        write_repo(repo, pool)
        lists = made.catalog_lists
        lists.mkdir()
        dists = repo / "dists" / SUITE
        shutil.copy(dists / "Release", lists / f"fp-repo_dists_{SUITE}_Release")
        shutil.copy(
            dists / "main" / "binary-amd64" / "Packages",
            lists / f"fp-repo_dists_{SUITE}_main_binary-amd64_Packages",
        )
        for name in names:
            make_host(made, name, base, repo)
        made.write_known_hosts()
        yield made
    finally:
        made.teardown()
        if made in _LIVE:
            _LIVE.remove(made)
