"""YAML with line numbers: plain data plus the line of every field path (pure).

PyYAML's node tree keeps marks; the usual `safe_load` throws them away. `read_yaml` composes the
tree, builds plain Python data from it, and records the 1-based line of every path: for a mapping
entry the line of its key, for a sequence item the line where the item starts. Paths are tuples of
keys and indices, e.g. `("buckets", 1, "windows", 0, "cron")`.

Duplicate keys, non-string keys and runaway alias expansion are problems, never silently resolved.
A document that does not parse raises `YamlSyntaxError` with the line of the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

FieldPath = tuple[str | int, ...]
MAX_NODES = 100_000  # an alias "billion laughs" is refused long before it hurts
MAX_DEPTH = 64  # a real policy nests about 6 deep; 10,000 would exhaust Python's stack


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the document, at a path and a line."""

    path: FieldPath
    line: int
    message: str


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"{line}: {message}")


@dataclass(frozen=True, slots=True)
class Located:
    data: Any
    lines: Mapping[FieldPath, int]
    problems: tuple[Problem, ...]

    def line(self, path: FieldPath) -> int:
        """The line of `path`, or of its nearest ancestor that has one (a missing key)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def format_path(path: FieldPath) -> str:
    """`("buckets", 1, "windows", 0, "cron")` -> `buckets[1].windows[0].cron`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("-", "").replace("_", "").isalnum():
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def read_yaml(text: str) -> Located:
    """Compose `text` into data and a path → line map; raise `YamlSyntaxError` if it is not YAML."""
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        if context and exc.context_mark and exc.context_mark.line + 1 != line:
            context = f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        raise YamlSyntaxError(line, f"YAML syntax error: {exc.problem or exc}{context}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlSyntaxError(line, f"YAML syntax error: {exc.reason}") from None
    except RecursionError:  # PyYAML composes nested collections recursively
        raise YamlSyntaxError(
            1, f"YAML nested too deeply (a policy nests a few levels; the limit is {MAX_DEPTH})"
        ) from None
    if node is None:
        return Located(data=None, lines={(): 1}, problems=())
    walker = _Walker(loader)
    data = walker.walk(node, ())
    return Located(data=data, lines=walker.lines, problems=tuple(walker.problems))


class _Walker:
    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[FieldPath, int] = {}
        self.problems: list[Problem] = []
        self.count = 0

    def walk(self, node: yaml.Node, path: FieldPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self._problem(path, node, f"document expands to more than {MAX_NODES} nodes")
            return None
        self.lines.setdefault(path, node.start_mark.line + 1)
        if len(path) > MAX_DEPTH:
            self._problem(path[:MAX_DEPTH], node, f"nested deeper than {MAX_DEPTH} levels")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self._problem(path, node, f"cannot read value: {exc.problem}")
            return None
        except (
            ValueError
        ):  # an impossible date such as 2026-02-30: the text, for the schema to judge
            return node.value

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[Any, Any]:
        self._check_duplicates(node, path)
        try:
            self.loader.flatten_mapping(node)  # `<<: *anchor` merges; explicit keys win
        except yaml.constructor.ConstructorError as exc:
            self._problem(path, node, f"bad merge: {exc.problem}")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self.walk(value_node, (*path, key))
        return out

    def _key(self, key_node: yaml.Node, path: FieldPath) -> str | None:
        key = (
            self.loader.construct_object(key_node)
            if isinstance(key_node, yaml.ScalarNode)
            else None
        )
        if isinstance(key, str):
            return key
        if isinstance(key_node, yaml.ScalarNode):
            message = f"key {key_node.value!r} is read as {key!r}, not a string; quote it"
        else:
            message = "a key must be a string, not a collection"
        self._problem(path, key_node, message)
        return None

    def _check_duplicates(self, node: yaml.MappingNode, path: FieldPath) -> None:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in seen:
                message = f"duplicate key (first at line {seen[key_node.value]})"
                self.problems.append(Problem((*path, key_node.value), line, message))
            else:
                seen[key_node.value] = line

    def _problem(self, path: FieldPath, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(path, node.start_mark.line + 1, message))
