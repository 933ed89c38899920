"""Validation of a host report (`fleetpatch.report/v1`) at the edge, and its inverse.

A report arrives as JSON from an agent we do not control, so every key is checked: unknown keys are
errors (a typo must not silently drop a fact), datetimes must carry a time zone (a naive time from a
host in another zone would shift every age we compute), and types are strict (no "1" for a flag).
The first problem found is reported as one line naming the field path, e.g.
`packages[12].version: Field required`.

Beyond the shape, a report must make sense to evaluate, because one bad report must never stop the
evaluation of a fleet: its `ecosystem` must be one fleetpatch has a version scheme for, every
package and source version must be valid under that scheme
(`packages[12].version: invalid dpkg version '1.0 beta': version string has embedded spaces`), and
kernel releases must look like `uname -r` output (`6.1.0-18-amd64`, `6.6.14-0-lts`,
`5.14.0-362.8.1.el9_3.x86_64`): they are not package versions.

Speed matters: ingest validates ~1,000 reports a second with ~700 packages each. The nested parts
are TypedDicts, so pydantic-core validates them in Rust without building 700 model instances; the
records are then built from the validated dicts in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
    ValidationError,
    with_config,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from fleetpatch.errors import InputError, ReportError, VersionError
from fleetpatch.inventory.records import (
    HostReport,
    Image,
    KernelFacts,
    OsInfo,
    Package,
    RebootEvidence,
)
from fleetpatch.versions import KNOWN_ECOSYSTEMS, scheme, scheme_for_ecosystem
from fleetpatch.versions.base import shown

KERNEL_RELEASE = re.compile(r"[0-9][A-Za-z0-9._+~-]{0,254}")
"""A kernel release as `uname -r` prints it: starts with a digit, no blanks, at most 255 long."""

# Names are letters and spaces: no escaping (`re.escape`'s `\ ` is not valid in every dialect).
ECOSYSTEM_PATTERN = "^(" + "|".join(KNOWN_ECOSYSTEMS) + ")(:.*)?$"
"""For the published schema: a known ecosystem, optionally `:release` (checked in `check_report`,
whose message lists them)."""

_STRICT = ConfigDict(extra="forbid", strict=True)


def _text_or_datetime(value: object) -> object:
    """Lax datetime parsing would accept a bare number as a Unix time; a report must not."""
    if isinstance(value, str | datetime):
        return value
    raise ValueError("Input should be an RFC 3339 date-time string")


def _in_utc(value: datetime) -> datetime:
    """In UTC, as stored; an offset can push 9999-12-31 or 0001-01-01 past datetime's range."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time out of range once converted to UTC") from None


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_text_or_datetime),
    AfterValidator(_in_utc),
    Field(strict=False),
]
CollectorKind = Literal["local", "root", "ssh", "k8s", "aws"]
Name = Annotated[str, Field(min_length=1, max_length=255)]
Short = Annotated[str, Field(max_length=64)]
Text = Annotated[str, Field(max_length=255)]
Hostname = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._-]+$")]
"""What a hostname can be (letters, digits, `.`, `_`, `-`; not `.` or `..`, see `check_report`):
it names a page and a URL path."""
LabelKey = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[^\x00-\x1f\x7f]+$")]
LabelValue = Annotated[str, Field(max_length=1024, pattern=r"^[^\x00-\x1f\x7f]*$")]
MAX_PACKAGES = 50_000
"""Far more than any real host (a full Debian desktop has ~3,000 packages)."""


class _PackageSchema:
    """Validates a package dict straight into a `Package` inside pydantic-core.

    The hot path of ingest: building 700 frozen dataclasses in Python after validation took longer
    than the validation itself, so the core schema constructs them in Rust instead.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        required = core_schema.str_schema(min_length=1, max_length=255, strict=True)
        optional = core_schema.with_default_schema(
            core_schema.str_schema(max_length=255, strict=True), default=""
        )
        arch = core_schema.with_default_schema(
            core_schema.str_schema(max_length=32, strict=True), default=""
        )
        names = ["name", "version", "arch", "source", "source_version"]
        fields = [
            core_schema.dataclass_field(
                n, required if n in ("name", "version") else arch if n == "arch" else optional
            )
            for n in names
        ]
        args = core_schema.dataclass_args_schema("Package", fields, extra_behavior="forbid")
        return core_schema.dataclass_schema(Package, args, names, slots=True, frozen=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["additionalProperties"] = False
        return json_schema


PackageItem = Annotated[Package, _PackageSchema]


@with_config(_STRICT)
class OsDict(TypedDict):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    version_id: NotRequired[Short]
    codename: NotRequired[Short]
    pretty_name: NotRequired[Text]


@with_config(_STRICT)
class KernelDict(TypedDict):
    running: NotRequired[str | None]
    installed: NotRequired[Annotated[list[Name], Field(max_length=256)]]


@with_config(_STRICT)
class RebootDict(TypedDict):
    flag: NotRequired[bool | None]
    since: NotRequired[Timestamp | None]
    packages: NotRequired[Annotated[list[Name], Field(max_length=MAX_PACKAGES)]]


@with_config(_STRICT)
class ImageDict(TypedDict):
    id: NotRequired[Text]
    name: NotRequired[Text]


@with_config(
    ConfigDict(extra="forbid", strict=True, title="fleetpatch host report (fleetpatch.report/v1)")
)
class ReportDict(TypedDict):
    """What one host says about itself: identity, OS, packages, kernels, boot and reboot facts."""

    schema: Literal["fleetpatch.report/v1"]
    hostname: Hostname
    collected_at: Timestamp
    os: OsDict
    ecosystem: Annotated[
        str, Field(min_length=1, max_length=64, json_schema_extra={"pattern": ECOSYSTEM_PATTERN})
    ]
    packages: Annotated[list[PackageItem], Field(max_length=MAX_PACKAGES)]
    machine_id: NotRequired[Text]
    arch: NotRequired[Annotated[str, Field(max_length=32)]]
    kernel: NotRequired[KernelDict]
    boot_time: NotRequired[Timestamp | None]
    boot_id: NotRequired[Short]
    reboot_required: NotRequired[RebootDict]
    image: NotRequired[ImageDict | None]
    labels: NotRequired[Annotated[dict[LabelKey, LabelValue], Field(max_length=128)]]
    collector: NotRequired[CollectorKind]


_ADAPTER: TypeAdapter[ReportDict] = TypeAdapter(ReportDict)


def parse_report(obj: Mapping[str, Any]) -> HostReport:
    """Validate a decoded JSON report and return its record; `ReportError` names the bad field."""
    if not isinstance(obj, Mapping):
        raise ReportError(f"report: expected a JSON object, got {type(obj).__name__}")
    try:
        data = _ADAPTER.validate_python(obj if isinstance(obj, dict) else dict(obj))
    except ValidationError as exc:
        raise ReportError(_one_line(exc)) from None
    check_report(data)
    return _to_record(data)


def parse_report_json(raw: str | bytes) -> HostReport:
    """Validate a report straight from JSON text: skips building Python objects for the parse."""
    try:
        data = _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise ReportError(_one_line(exc)) from None
    check_report(data)
    return _to_record(data)


def check_report(data: ReportDict) -> None:
    """What the shape cannot say: a known ecosystem, versions valid under its scheme, kernel
    releases that look like `uname -r`. `ReportError` names the first bad field."""
    if data["hostname"] in (".", ".."):
        raise ReportError(f"hostname: {data['hostname']!r} cannot name a host")
    ecosystem = data["ecosystem"]
    try:
        validate = scheme(scheme_for_ecosystem(ecosystem)).validate
    except InputError:
        raise ReportError(
            f"ecosystem: unknown ecosystem {shown(ecosystem)} (known: "
            f"{', '.join(KNOWN_ECOSYSTEMS)}, each optionally followed by ':' and a release)"
        ) from None
    for index, package in enumerate(data["packages"]):
        try:
            validate(package.version)
        except VersionError as exc:
            raise ReportError(f"packages[{index}].version: {exc}") from None
        if package.source_version:
            try:
                validate(package.source_version)
            except VersionError as exc:
                raise ReportError(f"packages[{index}].source_version: {exc}") from None
    kernel = data.get("kernel", {})
    running = kernel.get("running")
    if running is not None:
        _check_kernel("kernel.running", running)
    for index, release in enumerate(kernel.get("installed", ())):
        _check_kernel(f"kernel.installed[{index}]", release)


def _check_kernel(field: str, release: str) -> None:
    if KERNEL_RELEASE.fullmatch(release) is None:
        raise ReportError(
            f"{field}: invalid kernel release {shown(release)}: expected `uname -r` output such "
            "as 6.1.0-18-amd64 (a digit first, then letters, digits and ._+~-, at most 255)"
        )


def _one_line(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    path = _path(first["loc"])
    extra = len(errors) - 1
    more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
    return f"{path or 'report'}: {first['msg']}{more}"


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":  # pydantic's marker: the problem is the mapping's key itself
            text += " (the key)"
        elif not _PLAIN_KEY.fullmatch(part):  # a label key from the report: quoted, cut short
            text += f"[{shown(part)}]"
        else:
            text += f".{part}" if text else part
    return text


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _to_record(data: ReportDict) -> HostReport:
    kernel = data.get("kernel", {})
    image = data.get("image")
    return HostReport(
        hostname=data["hostname"],
        collected_at=_utc(data["collected_at"]),
        os=_os(data["os"]),
        ecosystem=data["ecosystem"],
        packages=tuple(data["packages"]),
        machine_id=data.get("machine_id", ""),
        arch=data.get("arch", ""),
        kernel=KernelFacts(kernel.get("running"), tuple(kernel.get("installed", ()))),
        boot_time=_utc_or_none(data.get("boot_time")),
        boot_id=data.get("boot_id", ""),
        reboot_required=_reboot(data.get("reboot_required", {})),
        image=None if image is None else Image(image.get("id", ""), image.get("name", "")),
        labels=dict(data.get("labels", {})),
        collector=data.get("collector", ""),
        schema=data["schema"],
    )


def _os(data: OsDict) -> OsInfo:
    return OsInfo(
        data["id"],
        data.get("version_id", ""),
        data.get("codename", ""),
        data.get("pretty_name", ""),
    )


def _reboot(data: RebootDict) -> RebootEvidence:
    return RebootEvidence(
        flag=data.get("flag"),
        since=_utc_or_none(data.get("since")),
        packages=tuple(data.get("packages", ())),
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, the only way times are written in a report."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time_or_none(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def report_to_dict(report: HostReport) -> dict[str, Any]:
    """The JSON-ready form of a report; `parse_report(report_to_dict(r)) == r`."""
    out: dict[str, Any] = {
        "schema": report.schema,
        "hostname": report.hostname,
        "machine_id": report.machine_id,
        "collected_at": format_time(report.collected_at),
        "os": _os_dict(report.os),
        "ecosystem": report.ecosystem,
        "arch": report.arch,
        "kernel": {"running": report.kernel.running, "installed": list(report.kernel.installed)},
        "boot_time": _time_or_none(report.boot_time),
        "boot_id": report.boot_id,
        "reboot_required": {
            "flag": report.reboot_required.flag,
            "since": _time_or_none(report.reboot_required.since),
            "packages": list(report.reboot_required.packages),
        },
        "packages": [_package_dict(p) for p in report.packages],
        "image": None
        if report.image is None
        else {"id": report.image.id, "name": report.image.name},
        "labels": dict(report.labels),
    }
    if report.collector:
        out["collector"] = report.collector
    return out


def _os_dict(os: OsInfo) -> dict[str, str]:
    return {
        "id": os.id,
        "version_id": os.version_id,
        "codename": os.codename,
        "pretty_name": os.pretty_name,
    }


def _package_dict(p: Package) -> dict[str, str]:
    return {
        "name": p.name,
        "version": p.version,
        "arch": p.arch,
        "source": p.source,
        "source_version": p.source_version,
    }


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of the wire form, as published by `fleetpatch schema report`."""
    schema = _ADAPTER.json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
