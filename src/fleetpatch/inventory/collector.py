"""Collect one host report from a root directory: the machine itself, an image or a chroot.

`LocalCollector` reads files below `root` and runs commands (only `rpm` and `uname`) through a
`Runner`, then hands everything to the pure parsers. Two modes:

- live (`root` is `/`, collector kind `local`): the running kernel, boot time, boot id and the
  reboot evidence describe the running system;
- root (an image or chroot, kind `root`): nothing runs from those files, so the running kernel,
  boot time and boot id are absent and reboot evidence is unknown. They are never invented from
  the collecting machine.

Parser problems (a malformed stanza) do not stop a collection: they are logged as warnings and
kept in `Collection.problems`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fleetpatch.errors import CollectError
from fleetpatch.inventory.hostfiles import FileReader, HostFiles
from fleetpatch.inventory.kernels import installed_kernels
from fleetpatch.inventory.osrelease import ecosystem_of, os_info, parse_os_release
from fleetpatch.inventory.packagedb import PackageDb, read_package_db
from fleetpatch.inventory.reboot import (
    from_install_times,
    from_reboot_required_file,
    from_running_kernel,
    parse_needs_restarting_conf,
)
from fleetpatch.inventory.records import HostReport, KernelFacts, RebootEvidence
from fleetpatch.inventory.runner import Runner, SubprocessRunner

log = logging.getLogger(__name__)

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
NEEDS_RESTARTING_DIR = "etc/dnf/plugins/needs-restarting.d"
# `uname -m` → dpkg architecture names; RPM and apk use the kernel's names as they are.
DPKG_ARCHES = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "i686": "i386",
    "i586": "i386",
    "armv7l": "armhf",
    "ppc64le": "ppc64el",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


@dataclass(frozen=True, slots=True)
class Collection:
    """A report and the problems met while building it (one line each)."""

    report: HostReport
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LocalCollector:
    """Collects from files below `root`. `live` defaults to `root == /`.

    `hostname` overrides what the host says; `labels` are attached as given. `files` reads
    the host's files some other way (over SSH: `inventory.remotefiles`); `root` is then only
    what messages name. `collector` overrides the report's collector kind.
    """

    root: Path = Path("/")
    runner: Runner = field(default_factory=SubprocessRunner)
    hostname: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    live: bool | None = None
    files: FileReader | None = None
    collector: str = ""

    @property
    def is_live(self) -> bool:
        return self.live if self.live is not None else self.root.resolve() == Path("/")

    def collect(self, now: datetime) -> HostReport:
        """The report as of `now` (an aware time); problems are logged as warnings."""
        return self.collect_with_problems(now).report

    def collect_with_problems(self, now: datetime) -> Collection:
        files = self.files if self.files is not None else HostFiles(self.root)
        live = self.is_live
        os_values = self._os_release(files)
        db = read_package_db(files, self.runner, os_values, live=live)
        for problem in db.parsed.problems:
            log.warning("%s", problem)
        running = (files.first_line("proc/sys/kernel/osrelease") or None) if live else None
        boot_time = _boot_time(files.read("proc/stat")) if live else None
        kernels = installed_kernels(
            db.parsed.packages,
            files.listdir("boot"),
            files.listdir("lib/modules") + files.listdir("usr/lib/modules"),
        )
        report = HostReport(
            hostname=self._hostname(files, live),
            collected_at=now.astimezone(UTC),
            os=os_info(os_values),
            ecosystem=ecosystem_of(os_values),
            packages=db.parsed.packages,
            machine_id=_machine_id(files.first_line("etc/machine-id")),
            arch=db.arch or self._uname_arch(db.kind, live),
            kernel=KernelFacts(running=running, installed=kernels),
            boot_time=boot_time,
            boot_id=files.first_line("proc/sys/kernel/random/boot_id") if live else "",
            reboot_required=self._reboot(files, db, live, boot_time, running, kernels),
            labels=dict(self.labels),
            collector=self.collector or ("local" if live else "root"),
        )
        return Collection(report, db.parsed.problems)

    def _os_release(self, files: FileReader) -> dict[str, str]:
        for rel in OS_RELEASE_PATHS:
            text = files.read(rel)
            if text is not None:
                return parse_os_release(text)
        raise CollectError(f"no os-release under {self.root} (looked for {OS_RELEASE_PATHS})")

    def _hostname(self, files: FileReader, live: bool) -> str:
        name = self.hostname
        if not name and live:
            name = files.first_line("proc/sys/kernel/hostname")
        name = name or files.first_line("etc/hostname")
        if not name:
            raise CollectError(f"no hostname found under {self.root}: pass one explicitly")
        return name

    def _uname_arch(self, kind: str, live: bool) -> str:
        """Only a live host's kernel says what the packages are for; an image's cannot."""
        if not live:
            return ""
        machine = self.runner.run(["uname", "-m"]).strip()
        return DPKG_ARCHES.get(machine, machine) if kind == "dpkg" else machine

    def _reboot(
        self,
        files: FileReader,
        db: PackageDb,
        live: bool,
        boot_time: datetime | None,
        running: str | None,
        kernels: tuple[str, ...],
    ) -> RebootEvidence:
        if db.kind == "dpkg":
            return from_reboot_required_file(
                live=live,
                since=files.mtime("run/reboot-required"),
                pkgs_text=files.read("run/reboot-required.pkgs"),
            )
        if db.kind == "rpm":
            extra: list[str] = []
            for name in files.listdir(NEEDS_RESTARTING_DIR):
                if name.endswith(".conf"):
                    conf = files.read(f"{NEEDS_RESTARTING_DIR}/{name}") or ""
                    extra += parse_needs_restarting_conf(conf)
            return from_install_times(db.parsed.installed_at, boot_time, extra)
        return from_running_kernel(running, kernels)


def _machine_id(value: str) -> str:
    """Images ship an empty file or systemd's `uninitialized` marker until first boot."""
    return "" if value == "uninitialized" else value


def _boot_time(proc_stat: str | None) -> datetime | None:
    """`btime` of `/proc/stat`: the boot time in seconds since the epoch."""
    for line in (proc_stat or "").splitlines():
        key, _, value = line.partition(" ")
        if key == "btime" and value.strip().isdigit():
            return datetime.fromtimestamp(int(value.strip()), UTC)
    return None
