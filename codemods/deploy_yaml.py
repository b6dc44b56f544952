"""Kamal deploy configs: switch `registry` (and what depends on it) in every target.

A target is what one `kamal` command loads: the base config, or the base
deep-merged with one destination. For each target that moves, this codemod
makes the merged result name the new registry:

- `registry.server` is set wherever a file of the target writes it, or added
  where the target's registry mapping lives;
- to a remote registry, `username` and `password` are set in the style the
  file uses (`[NAME]` lists, block or flow; an `ENV[...]` ERB tag keeps its
  form with the new name), commented-out template lines such as
  `# username: your-user` are filled in instead of adding a second key, and
  `image` is written out where it was defaulting to `service` (only a local
  registry allows that, kamal.md §3);
- to a local registry, credentials Kamal no longer reads are removed with
  the comments written directly above them;
- an `image` that repeats the old registry host loses that prefix, and image
  references to the old host elsewhere in the file get the new host.

What it cannot do safely it reports with the position: a registry computed by
ERB, a value inside ERB control flow, a registry that is not a mapping.
Edits to anchored values are made at the anchor and the other users named.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockmig import document, erb, project, spans, yamlspans
from dockmig.codemod import Migration, Outcome, is_local
from dockmig.findings import Mark, Severity

logger = logging.getLogger(__name__)

KEYS = ("server", "username", "password")
_ENV_NAME = re.compile(
    r"""^\s*ENV\s*(?:\[\s*|\.fetch\(\s*)(["'])(?P<name>[A-Za-z_][A-Za-z0-9_]*)\1"""
)
_PLACEHOLDER = re.compile(re.escape(erb.PLACEHOLDER_PREFIX) + r"\d+-x")


@dataclass
class DeployFile:
    """One deploy file as written, composed once for editing."""

    display: str
    text: str
    destination: str | None
    tree: yamlspans.Tree
    outcome: Outcome

    @property
    def root(self) -> Node | None:
        root = self.tree.root
        if root is None or not isinstance(yamlspans.target(root), MappingNode):
            return None
        return root


@dataclass
class DeployTarget:
    """One `kamal` invocation's view: its files (base first) and merged data."""

    destination: str | None
    files: list[DeployFile]
    data: Any
    server: str | None = None
    readable: bool = True

    @property
    def label(self) -> str:
        return "without -d" if self.destination is None else f"-d {self.destination}"


@dataclass
class DeployProject:
    files: list[DeployFile]
    targets: list[DeployTarget]
    environ: dict[str, str]


@dataclass
class DeployPlan:
    """What the secrets codemod must know once the deploy files are planned."""

    needs_secret: list[DeployTarget] = field(default_factory=list)
    secret: str | None = None
    released_secrets: set[str] = field(default_factory=set)


_LITERAL_PASSWORD = re.compile(r"^[ \t-]*password[ \t]*:[ \t]*(?![\s#\[&*!|>]|<%)")


def literal_password_lines(text: str) -> set[int]:
    """Lines that write a registry password itself: never shown in a diff."""
    return {
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if _LITERAL_PASSWORD.match(line)
    }


def environment(environ: Mapping[str, str], destination: str | None) -> dict[str, str]:
    """Kamal sets KAMAL_DESTINATION before rendering, and unsets it without -d."""
    result = dict(environ)
    result.pop("KAMAL_DESTINATION", None)
    if destination is not None:
        result["KAMAL_DESTINATION"] = destination
    return result


def read(
    proj: project.Project, texts: Mapping[str, str], environ: Mapping[str, str]
) -> DeployProject:
    """Compose every deploy file and build each target's merged data."""
    displays = [proj.config] + [proj.destination_config(d) for d in proj.destinations]
    names: list[str | None] = [None, *proj.destinations]
    files = []
    for display, destination in zip(displays, names, strict=True):
        text = texts[display]
        tree = yamlspans.compose(text, environment(environ, destination))
        files.append(
            DeployFile(display, text, destination, tree, Outcome(display, text))
        )

    targets = []
    for destination in names:
        chain = [files[0]] + [f for f in files[1:] if f.destination == destination]
        data, readable = merged_data(chain, environ, destination)
        target = DeployTarget(destination, chain, data, readable=readable)
        targets.append(target)
    return DeployProject(files, targets, dict(environ))


def merged_data(
    chain: list[DeployFile],
    environ: Mapping[str, str],
    destination: str | None,
    texts: Mapping[str, str] | None = None,
) -> tuple[Any, bool]:
    """Kamal's merged data for one target (texts override the files' own)."""
    env = environment(environ, destination)
    data: Any = None
    positions: dict[tuple[Any, ...], Any] = {}

    for index, deploy_file in enumerate(chain):
        text = texts.get(deploy_file.display, deploy_file.text) if texts else None
        doc = document.parse(
            text if text is not None else deploy_file.text, deploy_file.display, env
        )
        if not loadable(doc):
            return None, False
        value = normalised(doc.data, doc.rendered)
        if index == 0:
            data, positions = value, dict(doc.positions)
        else:
            data, positions = project.deep_merge(data, positions, value, doc.positions)

    return data, True


def loadable(doc: document.Document) -> bool:
    """True when Kamal can load the file: its ERB compiles and it is a mapping."""
    if not doc.parsed or not isinstance(doc.data, dict):
        return False
    return not any(p.certain and p.syntax for p in doc.rendered.problems)


def load_failure(doc: document.Document) -> tuple[Mark, str] | None:
    """Where and why the reader could not load the file, as it said it.

    ERB that does not compile comes first: Kamal stops there before any YAML
    is read. None when the file loads, or loads as something other than a
    mapping (the caller says that in Kamal's terms).
    """
    for problem in doc.rendered.problems:
        if problem.certain and problem.syntax:
            return doc.mark_at(problem.offset), problem.message

    if doc.parsed:
        return None
    errors = [f for f in doc.findings if f.severity is Severity.ERROR]
    syntax = [f for f in errors if f.rule == "yaml-syntax"]

    for finding in syntax + errors:
        return finding.mark, finding.message

    return None


def normalised(value: Any, rendered: erb.Rendered) -> Any:
    """Placeholders numbered by position become the ERB code they stand for."""
    if isinstance(value, str) and erb.PLACEHOLDER_PREFIX in value:
        return _PLACEHOLDER.sub(
            lambda m: (
                "<%=" + rendered.opaque[m.group(0)].code + "%>"
                if m.group(0) in rendered.opaque
                else m.group(0)
            ),
            value,
        )

    if isinstance(value, dict):
        return {k: normalised(v, rendered) for k, v in value.items()}

    if isinstance(value, list):
        return [normalised(v, rendered) for v in value]

    return value


def erb_computed(value: Any) -> bool:
    return isinstance(value, str) and "<%=" in value


def registry_of(data: Any) -> Any:
    return data.get("registry") if isinstance(data, dict) else None


def current_server(target: DeployTarget) -> str | None:
    registry = registry_of(target.data)
    if isinstance(registry, dict):
        server = registry.get("server")
        return server if isinstance(server, str) else None
    return None


# --- planning


@dataclass(frozen=True)
class _Value:
    kind: str  # "scalar" or "secret"
    text: str


class _Planner:
    """Turns "every moving target uses the new registry" into edits per file."""

    def __init__(
        self, dp: DeployProject, migration: Migration, moving: list[DeployTarget]
    ) -> None:
        self.dp = dp
        self.migration = migration
        self.moving = moving
        self.plan = DeployPlan(secret=migration.password_secret)
        self.claimed: set[tuple[str, int, str]] = set()
        self.additions: dict[tuple[str, int], tuple[_Block, dict[str, _Value]]] = {}
        self.removals: dict[tuple[str, int], tuple[_Block, list[yamlspans.Entry]]] = {}
        self.handled: set[tuple[str, int]] = set()

    def run(self) -> DeployPlan:
        for target in self.moving:
            self.target(target)

        for block, values in self.additions.values():
            block.add(values, self)

        for block, entries in self.removals.values():
            block.remove(entries, self)

        own = self.accessories_on_old_registries()
        for deploy_file in self.dp.files:
            self.references(deploy_file, own)
            _keep_missing_final_break(deploy_file.outcome)

        return self.plan

    def target(self, target: DeployTarget) -> None:
        old = current_server(target)
        same = old is not None and old.lower() == self.migration.new_host.lower()
        if same and self.migration.to_local:
            return
        registries = self.registries(target)
        if registries is None:
            return

        self.server(target, registries)
        if not self.migration.to_local:
            self.username(target, registries)
            self.password(target, registries, moves=not same)
            self.image(target)
        elif not same:
            for key in ("username", "password"):
                self.release(registries, key)
            self.remote_builder(target)
        self.image_prefix(target, old)

    def remote_builder(self, target: DeployTarget) -> None:
        """Kamal tunnels a local registry to a remote builder only over SSH."""
        data = target.data if isinstance(target.data, dict) else {}
        builder = data.get("builder")
        remote = builder.get("remote") if isinstance(builder, dict) else None
        if not isinstance(remote, str) or remote.startswith("ssh://"):
            return

        for deploy_file in reversed(target.files):
            entry = deploy_file.tree.lookup(deploy_file.root, "builder")
            found = deploy_file.tree.lookup(entry.value, "remote") if entry else None
            if found is not None:
                self.block(
                    deploy_file,
                    found.value,
                    f"{target.label}: with a local registry Kamal needs builder/remote "
                    "to be an ssh:// URL (it tunnels the registry over SSH); change it "
                    "or build on this machine",
                )
                return

    def registries(self, target: DeployTarget) -> list[_Registry] | None:
        """The `registry` mapping of each file of the target, base first."""
        found = []

        for deploy_file in target.files:
            entry = deploy_file.tree.lookup(deploy_file.root, "registry")
            if entry is None:
                continue
            if not isinstance(yamlspans.target(entry.value), MappingNode):
                self.block(
                    deploy_file,
                    entry.key,
                    "registry is not a mapping here; write it as a mapping of "
                    "server, username and password",
                )
                return None
            found.append(_Registry(deploy_file, entry))

        return found

    # the three registry keys

    def server(self, target: DeployTarget, registries: list[_Registry]) -> None:
        written = False

        for registry in registries:
            entry = registry.lookup("server")
            if entry is not None:
                written = True
                self.set_scalar(
                    registry.file, entry, self.migration.new_host, "registry/server"
                )

        if not written:
            self.add(
                target, registries, "server", _Value("scalar", self.migration.new_host)
            )

    def username(self, target: DeployTarget, registries: list[_Registry]) -> None:
        wanted = self.migration.username
        written = False

        for registry in registries:
            entry = registry.lookup("username")
            if entry is not None:
                written = True
                if wanted is not None:
                    self.set_scalar(registry.file, entry, wanted, "registry/username")

        if written:
            return

        if wanted is None:
            self.block(
                target.files[0],
                None,
                f"the registry needs a username ({target.label}); pass --username "
                "or set registry.username in .dockmig.yml",
            )
            return
        self.add(target, registries, "username", _Value("scalar", wanted))

    def password(
        self, target: DeployTarget, registries: list[_Registry], *, moves: bool
    ) -> None:
        secret = self.migration.password_secret
        written = False
        looked_up = False

        for registry in registries:
            entry = registry.lookup("password")
            if entry is not None:
                written = True
                if secret is not None:
                    looked_up = self.set_secret(registry.file, entry, secret)

        if not written:
            if secret is None:
                self.block(
                    target.files[0],
                    None,
                    f"the registry needs a password secret ({target.label}); pass "
                    "--password-secret or set registry.password_secret in "
                    ".dockmig.yml",
                )
                return
            self.add(target, registries, "password", _Value("secret", secret))
            looked_up = True
        # A target already on this registry with this secret is left exactly
        # as it is, its secrets files included.
        data = target.data if isinstance(target.data, dict) else {}
        before = registry_of(data) if isinstance(registry_of(data), dict) else {}

        if looked_up and (moves or before.get("password") != [secret]):
            self.plan.needs_secret.append(target)

    def release(self, registries: list[_Registry], key: str) -> None:
        """Plan the removal of a credential a local registry does not use."""
        for registry in registries:
            entry = registry.lookup(key)
            if entry is None:
                continue
            if key == "password":
                secret = _secret_name(entry.value)
                if secret:
                    self.plan.released_secrets.add(secret)
            block = _Block.of(registry.file, entry.mapping)
            _block, entries = self.removals.setdefault(
                (registry.file.display, block.start), (block, [])
            )
            if all(e.key is not entry.key for e in entries):
                entries.append(entry)
                self.share(registry.file, entry, f"registry/{key}")

    # image

    def image(self, target: DeployTarget) -> None:
        data = target.data if isinstance(target.data, dict) else {}
        if data.get("image") not in (None, ""):
            return
        service = data.get("service")
        owner = None
        for deploy_file in target.files:
            entry = deploy_file.tree.lookup(deploy_file.root, "service")
            if entry is not None:
                owner = (deploy_file, entry)
        if owner is None or not isinstance(service, str) or not service:
            # Kamal refuses a config without a service before the registry
            # matters (kamal.md §13), so there is nothing to default from.
            target.files[0].outcome.note(
                0,
                f"{target.label} has no service, which Kamal refuses anyway; image "
                "left as it is",
            )
            return

        deploy_file, entry = owner
        if not self.claim(deploy_file, -1, "image"):
            return
        value = yamlspans.target(entry.value)
        key_span = deploy_file.tree.span(entry.key)
        if (
            erb_computed(service)
            or key_span is None
            or deploy_file.tree.span(value) is None
        ):
            self.block(
                deploy_file,
                entry.key,
                "image defaults to the service, which is computed by ERB; add "
                "`image:` by hand",
            )
            return
        style = value.style if isinstance(value, ScalarNode) else None
        column = yamlspans.column_of(deploy_file.text, key_span[0])
        at = spans.next_line(
            deploy_file.text, deploy_file.tree.content_end(entry.value)
        )
        line = " " * column + "image: " + yamlspans.format_scalar(service, style)
        _insert_lines(deploy_file.outcome, at, [line])
        deploy_file.outcome.note(
            key_span[0],
            "image was defaulting to the service name, which only a local registry "
            "allows; written out",
        )

    def image_prefix(self, target: DeployTarget, old: str | None) -> None:
        """`image: localhost:5555/app` named the registry twice; drop the copy."""
        hosts = {h.lower() for h in (*self.migration.old_hosts, old) if h}
        for deploy_file in target.files:
            entry = deploy_file.tree.lookup(deploy_file.root, "image")
            node = yamlspans.target(entry.value) if entry else None
            if entry is None or not isinstance(node, ScalarNode):
                continue
            value = str(node.value).lower()
            host = next((h for h in hosts if value.startswith(h + "/")), None)
            if host is None or node.style in ("|", ">"):
                continue
            found = deploy_file.tree.span(node)
            if found is None:
                self.block(
                    deploy_file, node, "image is computed by ERB; edit it by hand"
                )
                continue

            offset = found[0] + (1 if node.style in ("'", '"') else 0)
            written = deploy_file.text[offset : offset + len(host) + 1]
            if written.lower() != host + "/":
                self.block(
                    deploy_file,
                    node,
                    "image repeats the registry host in a form dockmig cannot edit; "
                    "remove the prefix by hand",
                )
                continue
            self.handled.add((deploy_file.display, found[0]))
            if self.claim(deploy_file, offset, "prefix"):
                deploy_file.outcome.edits.append(
                    spans.Edit(offset, offset + len(written), "")
                )
                deploy_file.outcome.touched.append(found)
                deploy_file.outcome.note(
                    offset,
                    f"image repeated the registry host {written[:-1]}; Kamal puts "
                    "the server in front itself, so that prefix is removed",
                )
                self.share(deploy_file, entry, "image")

    # edits

    def claim(self, deploy_file: DeployFile, offset: int, what: str) -> bool:
        """True the first time: targets sharing a file must not edit it twice."""
        key = (deploy_file.display, offset, what)
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def set_scalar(
        self, deploy_file: DeployFile, entry: yamlspans.Entry, value: str, label: str
    ) -> None:
        tree = deploy_file.tree
        node = yamlspans.target(entry.value)
        found = tree.span(node)
        empty = _empty(tree, entry.value)
        # ERB that renders nothing leaves an empty value behind, not None.
        tag = self.erb_tag(deploy_file, entry) if found is None or empty else None

        if tag is not None and label != "registry/server":
            if self.claim(deploy_file, tag.start, "value"):
                replacement = yamlspans.format_scalar(value, None)
                deploy_file.outcome.edits.append(
                    spans.Edit(tag.start, tag.end, replacement)
                )
                deploy_file.outcome.note(
                    tag.start, f"{label} was computed by ERB; set to {value}"
                )
            return

        if found is None or tag is not None:
            self.block(
                deploy_file,
                entry.value,
                f"{label} is computed by ERB or inside ERB control flow; set it by "
                "hand",
            )
            return
        self.handled.add((deploy_file.display, found[0]))

        if isinstance(node, ScalarNode) and node.style not in ("|", ">") and not empty:
            if node.value == value or not self.claim(deploy_file, found[0], "value"):
                return
            style = node.style if node.style in ("'", '"') else None
            replacement = yamlspans.format_scalar(value, style)
            deploy_file.outcome.edits.append(spans.Edit(*found, replacement))
            if label != "registry/password":
                deploy_file.outcome.note(found[0], f"{label} set to {value}")
        else:
            colon = self.after_colon(deploy_file, entry)
            if not self.claim(deploy_file, colon, "value"):
                return
            end = colon if empty else tree.content_end(entry.value)
            replacement = " " + yamlspans.format_scalar(value, None)
            deploy_file.outcome.edits.append(spans.Edit(colon, end, replacement))
            deploy_file.outcome.note(colon, f"{label} set to {value}")
        self.share(deploy_file, entry, label)

    def set_secret(
        self, deploy_file: DeployFile, entry: yamlspans.Entry, secret: str
    ) -> bool:
        """Point `password` at `secret`; True when Kamal then looks it up."""
        tree = deploy_file.tree
        node = yamlspans.target(entry.value)
        if isinstance(node, SequenceNode) and len(node.value) == 1:
            item = node.value[0]
            if isinstance(yamlspans.target(item), ScalarNode):
                inner = yamlspans.Entry(entry.key, item, entry.mapping, entry.via)
                self.set_scalar(deploy_file, inner, secret, "registry/password")
                return True

        tag = self.erb_tag(deploy_file, entry)
        if tag is not None and _ENV_NAME.match(tag.code):
            self.rename_erb(deploy_file, entry, tag, secret)
            return False
        end = tag.end if tag is not None else None
        if end is None and tree.span(node) is None:
            self.block(
                deploy_file,
                entry.value,
                "registry/password is computed inside ERB control flow; set it by hand",
            )
            return False
        empty = tag is None and _empty(tree, entry.value)
        if end is None:
            end = tree.content_end(entry.value)

        colon = self.after_colon(deploy_file, entry)
        if not self.claim(deploy_file, colon, "value"):
            return True
        block = _Block.of(deploy_file, entry.mapping)
        style = block.list_style()
        start = colon
        if empty:
            # Nothing to replace: a block list goes after any comment on the
            # key's line, a flow list right after the colon.
            flow = style[0] or block.flow
            start = end = colon if flow else spans.line_end(deploy_file.text, colon)
        deploy_file.outcome.edits.append(
            spans.Edit(start, end, block.secret_value(secret, style))
        )
        if empty:
            deploy_file.outcome.note(
                colon, f"registry/password was empty; it now names the secret {secret}"
            )
        elif tag is None and isinstance(node, ScalarNode):
            _mark_secret(deploy_file, colon, end)
            deploy_file.outcome.note(
                colon,
                f"registry/password held the password itself; it now names the "
                f"secret {secret} (the old value stays in the history: rotate it)",
            )
        elif tag is not None:
            deploy_file.outcome.note(
                colon,
                f"registry/password was computed by ERB for the old registry; it now "
                f"names the secret {secret}",
            )
        self.share(deploy_file, entry, "registry/password")
        return True

    def rename_erb(
        self,
        deploy_file: DeployFile,
        entry: yamlspans.Entry,
        tag: erb.Tag,
        secret: str,
    ) -> None:
        """`<%= ENV["OLD"] %>` keeps its form and reads the new name."""
        match = _ENV_NAME.match(tag.code)
        assert match is not None
        code_start = deploy_file.text.index(tag.code, tag.start)
        start = code_start + match.start("name")

        if match.group("name") == secret or not self.claim(deploy_file, start, "erb"):
            return
        deploy_file.outcome.edits.append(
            spans.Edit(start, code_start + match.end("name"), secret)
        )
        # From the key on: a tag that renders nothing puts the value's mark
        # at the next key, so only the key's own mark says where it lives.
        key_start = deploy_file.tree.src(entry.key.start_mark.index)
        deploy_file.outcome.touched.append((key_start, tag.end))
        deploy_file.outcome.note(
            start,
            f"registry/password reads the environment in ERB; it now reads {secret} "
            "(export it where you run kamal)",
        )

    def erb_tag(
        self, deploy_file: DeployFile, entry: yamlspans.Entry
    ) -> erb.Tag | None:
        """The one `<%= %>` tag that is the whole value of `entry`, if it is that."""
        if yamlspans.is_alias(entry.value):
            return None
        text = deploy_file.text
        tree = deploy_file.tree
        position = self.after_colon(deploy_file, entry)

        while position < len(text) and text[position] in " \t":
            position += 1

        if not text.startswith("<%=", position) or tree.rendered.is_conditional(
            position
        ):
            return None

        # In `{...}` the value ends at the next `,` or `}`.
        flow = bool(getattr(yamlspans.target(entry.mapping), "flow_style", False))
        for tag in tree.rendered.tags:
            if tag.start == position and tag.kind == "output":
                rest = text[tag.end : spans.line_end(text, tag.end)].strip()
                ends = not rest or rest.startswith("#") or (flow and rest[0] in ",}")
                return tag if ends else None

        return None

    def entry_end(
        self, deploy_file: DeployFile, entry: yamlspans.Entry, tag: erb.Tag | None
    ) -> int:
        """Source offset just after the last character of `entry`'s value.

        A value that is empty, written so or rendered so by ERB, has its mark
        at whatever comes next, so its end is taken from the text instead.
        """
        if tag is not None:
            return tag.end
        if _empty(deploy_file.tree, entry.value):
            return self.after_colon(deploy_file, entry)
        return deploy_file.tree.content_end(entry.value)

    def after_colon(self, deploy_file: DeployFile, entry: yamlspans.Entry) -> int:
        """Source offset just after the `:` that ends `entry`'s key."""
        text = deploy_file.text
        position = deploy_file.tree.src_end(entry.key.end_mark.index)
        while position < len(text) and text[position] in " \t":
            position += 1
        return position + 1 if text.startswith(":", position) else position

    def add(
        self,
        target: DeployTarget,
        registries: list[_Registry],
        key: str,
        value: _Value,
    ) -> None:
        if not registries:
            deploy_file = target.files[0]
            slot = (deploy_file.display, -1)
            block = _Block(deploy_file, None, -1)
        else:
            # The base file's registry reaches every destination through
            # Kamal's deep merge, so a key added there serves them all.
            home = registries[0]
            block = _Block.of(home.file, home.entry.value)
            slot = (home.file.display, block.start)
            if yamlspans.is_alias(home.entry.value) or _anchored(block.node, home.file):
                self.share(home.file, home.entry, "registry")
        self.additions.setdefault(slot, (block, {}))[1][key] = value

    # reports

    def block(self, deploy_file: DeployFile, node: Node | None, message: str) -> None:
        offset = deploy_file.tree.src(node.start_mark.index) if node is not None else 0
        deploy_file.outcome.note(offset, message, blocking=True)

    def share(
        self, deploy_file: DeployFile, entry: yamlspans.Entry, label: str
    ) -> None:
        """Say which other places change with an anchored value."""
        tree = deploy_file.tree
        anchors = set(entry.via)

        if yamlspans.is_alias(entry.value):
            anchors.add(yamlspans.alias_name(entry.value))

        for node in (yamlspans.target(entry.value), entry.mapping):
            if _anchored(node, deploy_file):
                anchors.add(str(node.anchor))

        if not anchors or not self.claim(
            deploy_file, -2, label + repr(sorted(anchors))
        ):
            return
        lines = sorted(
            {
                spans.line_number(deploy_file.text, o)
                for o in tree.sites_of(tuple(anchors))
            }
        )
        names = ", ".join("&" + a for a in sorted(anchors))
        deploy_file.outcome.note(
            tree.src(entry.key.start_mark.index),
            f"{label} is shared through {names}; edited where the anchor is defined, "
            f"which changes the alias(es) at line(s) "
            f"{', '.join(map(str, lines)) or '-'} too",
        )

    def accessories_on_old_registries(self) -> set[str]:
        """Accessories whose own registry server, in any file, is an old host."""
        hosts = {h.lower() for h in self.migration.old_hosts}
        found = set()

        for deploy_file in self.dp.files:
            tree = deploy_file.tree
            accessories = tree.lookup(deploy_file.root, "accessories")
            if accessories is None:
                continue
            for name, accessory in tree.resolved(accessories.value).items():
                registry = tree.lookup(accessory.value, "registry")
                server = tree.lookup(registry.value, "server") if registry else None
                node = yamlspans.target(server.value) if server else None
                if isinstance(node, ScalarNode) and str(node.value).lower() in hosts:
                    found.add(str(name))
        return found

    def own_registry(self, deploy_file: DeployFile, node: Node, name: str) -> None:
        """Report an accessory's own registry on an old host, which stays."""
        where = f"accessories/{name}/registry/server"
        if is_local(str(node.value)):
            self.block(
                deploy_file,
                node,
                f"{where} is the local registry, which the move leaves behind; "
                "dockmig moves the app's registry, not an accessory's own: move "
                "this accessory's registry, credentials and image by hand",
            )
            return
        offset = deploy_file.tree.src(node.start_mark.index)
        deploy_file.outcome.note(
            offset,
            f"{where} names the old registry as this accessory's own; it and "
            "the accessory's image are left as they are",
        )

    def references(self, deploy_file: DeployFile, own: set[str]) -> None:
        """Image references to the old hosts anywhere else in the file.

        `own`: the accessories with a registry of their own on an old host.
        """
        hosts = [h.lower() for h in self.migration.old_hosts]

        if not hosts:
            return
        tree = deploy_file.tree

        for path, node in tree.scalars(tree.root):
            if not any(h in str(node.value).lower() for h in hosts):
                continue
            if len(path) >= 3 and path[0] == "accessories" and path[1] in own:
                # Kamal pulls such an accessory as `<its server>/<image>`, so
                # its image moves only with its registry. A local one goes away
                # with the move; a remote one may well stay.
                if path[2:] == ("registry", "server"):
                    self.own_registry(deploy_file, node, str(path[1]))
                continue
            found = tree.span(node)
            if found is not None and (deploy_file.display, found[0]) in self.handled:
                continue
            yamlspans.rewrite_scalar(
                tree, node, path, self.migration, deploy_file.outcome
            )


@dataclass
class _Registry:
    file: DeployFile
    entry: yamlspans.Entry

    def lookup(self, key: str) -> yamlspans.Entry | None:
        return self.file.tree.lookup(self.entry.value, key)


def _anchored(node: Node | None, deploy_file: DeployFile) -> bool:
    name = getattr(node, "anchor", None)
    return bool(name and deploy_file.tree.alias_sites.get(str(name)))


def _empty(tree: yamlspans.Tree, value: Node) -> bool:
    """A value written as nothing at all (`password:`): its span has no width."""
    if yamlspans.is_alias(value) or not isinstance(value, ScalarNode) or value.style:
        return False
    found = tree.span(value)
    return found is not None and found[0] == found[1]


def _secret_name(value: Node) -> str | None:
    node = yamlspans.target(value)
    if isinstance(node, SequenceNode) and len(node.value) == 1:
        item = yamlspans.target(node.value[0])
        if isinstance(item, ScalarNode):
            return str(item.value)
    return None


def _mark_secret(deploy_file: DeployFile, start: int, end: int) -> None:
    first = spans.line_number(deploy_file.text, start)
    last = spans.line_number(deploy_file.text, max(start, end - 1))
    deploy_file.outcome.secret_lines_before.update(range(first, last + 1))


def _insert_lines(
    outcome: Outcome, at: int, new_lines: list[str], order: int = 0
) -> None:
    """Insert whole lines at a line start, keeping the file's line breaks."""
    text = outcome.text
    eol = spans.line_ending(text)
    body = eol.join(new_lines)

    if at >= len(text) and text and not text.endswith(("\n", "\r")):
        outcome.edits.append(spans.Edit(at, at, eol + body, order=order))
    else:
        outcome.edits.append(spans.Edit(at, at, body + eol, order=order))


def _keep_missing_final_break(outcome: Outcome) -> None:
    """Removing the last lines of a file without a final line break keeps it so.

    Whole-line removals take each line's own break; at the end of such a file
    the last removed line has none, and the break before it would become the
    file's final one. The removals that reach the end are merged and take
    that break instead.
    """
    text = outcome.text
    if not text or text.endswith(("\n", "\r")):
        return
    removals = sorted(
        (e for e in outcome.edits if e.end > e.start and not e.replacement),
        key=lambda e: e.start,
    )
    chain: list[spans.Edit] = []
    end = len(text)

    for edit in reversed(removals):
        if edit.end != end:
            break
        chain.append(edit)
        end = edit.start

    if not chain or end == 0 or text[end - 1] not in "\r\n":
        return
    start = spans.line_end(text, spans.previous_line(text, end))
    if any(e.start < end and e.end > start for e in outcome.edits if e not in chain):
        return
    if any(start < e.start <= end for e in outcome.edits if e not in chain):
        return

    for edit in chain:
        outcome.edits.remove(edit)
    outcome.edits.append(spans.Edit(start, len(text), ""))


def _indentation_width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _after_hash(line: str) -> int:
    """How many blanks follow the `#` of a comment line."""
    rest = line.lstrip(" \t")[1:]
    return len(rest) - len(rest.lstrip(" "))


def _indent_unit(deploy_file: DeployFile) -> int:
    root = yamlspans.target(deploy_file.root) if deploy_file.root is not None else None
    if isinstance(root, MappingNode):
        for _key, value in root.value:
            value = yamlspans.target(value)
            if isinstance(value, MappingNode) and not value.flow_style and value.value:
                first = deploy_file.tree.src(value.value[0][0].start_mark.index)
                return max(1, yamlspans.column_of(deploy_file.text, first))
    return 2


@dataclass
class _Template:
    """A commented-out `# key: …` line (and its `#   - ITEM` lines)."""

    start: int
    end: int  # end of the last line, before its line break
    list_offset: int


@dataclass
class _Block:
    """A mapping being edited: where its keys sit and how new ones are written."""

    file: DeployFile
    node: MappingNode | None
    start: int

    @classmethod
    def of(cls, deploy_file: DeployFile, node: Node) -> _Block:
        mapping = yamlspans.target(node)
        assert isinstance(mapping, MappingNode)
        return cls(deploy_file, mapping, int(mapping.start_mark.index))

    @property
    def text(self) -> str:
        return self.file.text

    @property
    def tree(self) -> yamlspans.Tree:
        return self.file.tree

    @property
    def flow(self) -> bool:
        return bool(self.node is not None and self.node.flow_style)

    def pairs(self) -> list[tuple[ScalarNode, Node]]:
        if self.node is None:
            return []
        return [(k, v) for k, v in self.node.value if isinstance(k, ScalarNode)]

    def offset(self, node: Node) -> int:
        return self.tree.src(node.start_mark.index)

    def column(self) -> int:
        pairs = self.pairs()
        if pairs:
            return yamlspans.column_of(self.text, self.offset(pairs[0][0]))
        return _indent_unit(self.file)

    def line(self, start: int) -> str:
        return self.text[start : spans.line_end(self.text, start)]

    def opening(self) -> int:
        """The line just after the key that opens this mapping."""
        position = spans.line_start(self.text, self.offset(self.pairs()[0][0]))
        column = self.column()

        while True:
            previous = spans.previous_line(self.text, position)
            if previous < 0:
                return position
            line = self.line(previous)
            if yamlspans.is_blank(line) or (
                yamlspans.is_comment(line) and _indentation_width(line) >= column
            ):
                position = previous
                continue
            return position

    def region_end(self) -> int:
        """After the last line that still belongs to this mapping, comments too."""
        assert self.node is not None
        column = self.column()
        end = spans.next_line(self.text, self.tree.content_end(self.node))
        position = end

        while position < len(self.text):
            line = self.line(position)
            if yamlspans.is_comment(line) and _indentation_width(line) >= column:
                end = spans.next_line(self.text, position)
            elif not yamlspans.is_blank(line):
                break
            position = spans.next_line(self.text, position)

        return end

    def templates(self) -> dict[str, _Template]:
        """Commented-out keys at this mapping's column, by key."""
        found: dict[str, _Template] = {}

        if self.node is None or self.flow or not self.pairs():
            return found
        column = self.column()
        position = self.opening()
        limit = self.region_end()

        while position < limit:
            line = self.line(position)
            key = yamlspans.template_key(line) if yamlspans.is_comment(line) else None
            if key in KEYS and key not in found and _indentation_width(line) == column:
                found[key] = self.template_at(position, limit, column)
            position = spans.next_line(self.text, position)

        return found

    def template_at(self, start: int, limit: int, column: int) -> _Template:
        gap = _after_hash(self.line(start))
        end = spans.line_end(self.text, start)
        offset = 2
        position = spans.next_line(self.text, start)

        while position < limit:
            line = self.line(position)
            if not (
                yamlspans.is_comment(line)
                and _indentation_width(line) == column
                and _after_hash(line) > gap
                and yamlspans.template_key(line) is None
            ):
                break
            if line.lstrip(" \t#").startswith("-"):
                offset = _after_hash(line) - gap
            end = spans.line_end(self.text, position)
            position = spans.next_line(self.text, position)

        return _Template(start, end, offset)

    def list_style(self) -> tuple[bool, int]:
        """(flow, columns from key to `-`) for a new one-item list, as the file does."""
        pairs = [
            (k, v)
            for k, v in self.pairs()
            if isinstance(v, SequenceNode) and not yamlspans.is_alias(v)
        ]
        candidates = pairs or list(self.tree.sequences(self.file.root))

        if not candidates:
            return False, 2
        flows = sum(1 for _k, v in candidates if v.flow_style)

        if flows * 2 > len(candidates):
            return True, 0
        offsets: dict[int, int] = {}

        for key, value in candidates:
            if value.flow_style:
                continue
            dash = yamlspans.column_of(self.text, self.offset(value))
            column = yamlspans.column_of(self.text, self.offset(key))
            offsets[dash - column] = offsets.get(dash - column, 0) + 1

        return False, max(offsets, key=lambda o: (offsets[o], o)) if offsets else 2

    def secret_value(self, secret: str, style: tuple[bool, int]) -> str:
        """What follows `password:` for a one-item secret list."""
        flow, offset = style
        name = yamlspans.format_scalar(secret, None)
        if flow or self.flow:
            return f" [{name}]"
        eol = spans.line_ending(self.text)
        return eol + " " * (self.column() + offset) + "- " + name

    def entry_text(
        self, key: str, value: _Value, list_offset: int | None = None
    ) -> str:
        if value.kind == "scalar":
            return f"{key}: " + yamlspans.format_scalar(
                value.text, self.sibling_style()
            )
        style = self.list_style()

        if list_offset is not None and not style[0]:
            style = (False, list_offset)

        return f"{key}:" + self.secret_value(value.text, style)

    def sibling_style(self) -> str | None:
        styles = {
            v.style
            for _k, v in self.pairs()
            if isinstance(v, ScalarNode) and not yamlspans.is_alias(v)
        }
        if len(styles) == 1 and next(iter(styles)) in ("'", '"'):
            return str(next(iter(styles)))
        return None

    # adding keys

    def add(self, values: dict[str, _Value], planner: _Planner) -> None:
        if self.node is None:
            self.add_section(values)
        elif self.flow:
            self.add_flow(values, planner)
        else:
            self.add_block(values)

    def add_block(self, values: dict[str, _Value]) -> None:
        outcome = self.file.outcome
        indent = " " * self.column()
        templates = self.templates()
        present = {str(k.value): v for k, v in self.pairs()}
        inserts: dict[int, list[str]] = {}

        for key in KEYS:
            if key not in values:
                continue
            if key in templates:
                template = templates[key]
                text = indent + self.entry_text(key, values[key], template.list_offset)
                outcome.edits.append(spans.Edit(template.start, template.end, text))
                outcome.note(
                    template.start,
                    f"registry/{key} filled in on its commented-out template line",
                )
                continue
            at = self.insert_point(key, present)
            inserts.setdefault(at, []).append(
                indent + self.entry_text(key, values[key])
            )
            outcome.note(min(at, max(len(self.text) - 1, 0)), f"registry/{key} added")

        for at, new_lines in inserts.items():
            _insert_lines(outcome, at, new_lines, order=1)

    def insert_point(self, key: str, present: dict[str, Node]) -> int:
        """After the key that comes before it (server, username, password)."""
        earlier = [k for k in KEYS[: KEYS.index(key)] if k in present]

        if earlier:
            return spans.next_line(
                self.text, self.tree.content_end(present[earlier[-1]])
            )

        if "<<" in present:
            # Keys written after `<<` win over merged ones (Psych's order).
            return spans.next_line(self.text, self.tree.content_end(present["<<"]))

        if not any(k in present for k in KEYS[KEYS.index(key) + 1 :]):
            return spans.next_line(
                self.text, self.tree.content_end(self.pairs()[-1][1])
            )

        return self.opening()

    def add_flow(self, values: dict[str, _Value], planner: _Planner) -> None:
        assert self.node is not None
        found = self.tree.span(self.node)

        if found is None:
            planner.block(
                self.file, self.node, "registry is written by ERB; edit it by hand"
            )
            return
        close = found[1] - 1

        while close > found[0] and self.text[close] != "}":
            close -= 1

        while close > found[0] and self.text[close - 1] in " \t":
            close -= 1
        pairs = self.pairs()
        if pairs and not _empty(self.tree, pairs[-1][1]):
            # Right after the last value: in a mapping written over several
            # lines the closing brace often sits alone on its own line.
            close = min(close, self.tree.content_end(pairs[-1][1]))
        keys = [k for k in KEYS if k in values]
        parts = [self.entry_text(k, values[k]) for k in keys]
        separator = ", " if self.pairs() else ""
        self.file.outcome.edits.append(
            spans.Edit(close, close, separator + ", ".join(parts))
        )
        self.file.outcome.note(
            close, "added " + ", ".join(f"registry/{k}" for k in keys)
        )

    def add_section(self, values: dict[str, _Value]) -> None:
        """No file of the target has `registry:`; write one after image/service."""
        unit = _indent_unit(self.file)
        new_lines = ["registry:"]
        for key in KEYS:
            if key not in values:
                continue
            if values[key].kind == "scalar":
                scalar = yamlspans.format_scalar(values[key].text, None)
                new_lines.append(" " * unit + f"{key}: {scalar}")
                continue
            flow, offset = self.list_style()
            if flow:
                new_lines.append(" " * unit + f"{key}: [{values[key].text}]")
            else:
                new_lines.append(" " * unit + f"{key}:")
                new_lines.append(" " * (unit + offset) + "- " + values[key].text)

        at = len(self.text)
        root = self.file.root
        for name in ("image", "service"):
            entry = self.tree.lookup(root, name)
            if (
                root is not None
                and entry is not None
                and entry.mapping is yamlspans.target(root)
            ):
                at = spans.next_line(self.text, self.tree.content_end(entry.value))
                break
        _insert_lines(self.file.outcome, at, new_lines)
        self.file.outcome.note(
            min(at, max(len(self.text) - 1, 0)), "registry section added"
        )

    # removing keys

    def remove(self, entries: list[yamlspans.Entry], planner: _Planner) -> None:
        assert self.node is not None
        going = {id(e.key) for e in entries}
        staying = [k for k, _v in self.pairs() if id(k) not in going]
        if staying and self.flow:
            self.remove_from_flow(entries, planner)
            return
        if staying or (self.file.display, self.start) in planner.additions:
            for entry in entries:
                self.remove_entry(entry, planner)
            return

        # A destination that only overrode the credentials: an empty
        # `registry:` would be null and replace the base's registry, so the
        # whole section goes.
        section = self.tree.lookup(self.file.root, "registry")
        if (
            section is None
            or self.file.root is None
            or yamlspans.target(section.value) is not self.node
        ):
            planner.block(
                self.file,
                self.node,
                "removing the credentials would leave this registry mapping empty; "
                "remove it by hand",
            )
            return
        root = _Block.of(self.file, self.file.root)
        if len(root.pairs()) > 1:
            root.remove_entry(section, planner, "registry (it held only credentials)")
            return
        self.empty_section(section, planner)

    def empty_section(self, section: yamlspans.Entry, planner: _Planner) -> None:
        """`registry: {}` for a file that would otherwise have no key left.

        Kamal cannot load a destination file without any key (kamal.md §0),
        while an empty mapping deep-merges into the base as nothing.
        """
        assert self.node is not None
        colon = planner.after_colon(self.file, section)
        end = colon

        for key, _value in self.pairs():
            entry = self.tree.lookup(self.node, str(key.value))
            value_end = self.value_end(entry, planner) if entry is not None else None
            if value_end is None:
                planner.block(
                    self.file,
                    key,
                    "this credential is written by ERB control flow; remove it by hand",
                )
                return
            end = max(end, value_end)

        self.file.outcome.edits.append(spans.Edit(colon, end, " {}"))
        self.hide_password(self.tree.lookup(self.node, "password"), planner, colon, end)
        self.file.outcome.note(
            colon,
            "registry emptied (it held only credentials, and the file needs a key): "
            "Kamal never logs in to a local registry",
        )

    def value_end(self, entry: yamlspans.Entry, planner: _Planner) -> int | None:
        """Where `entry`'s value ends; None when ERB control flow writes it."""
        tag = planner.erb_tag(self.file, entry)
        if tag is None and self.tree.span(yamlspans.target(entry.value)) is None:
            return None
        return planner.entry_end(self.file, entry, tag)

    def hide_password(
        self, password: yamlspans.Entry | None, planner: _Planner, start: int, end: int
    ) -> None:
        """A literal password removed between start and end never shows in a diff."""
        if (
            password is not None
            and isinstance(yamlspans.target(password.value), ScalarNode)
            and planner.erb_tag(self.file, password) is None
        ):
            _mark_secret(self.file, start, end)

    def remove_from_flow(
        self, entries: list[yamlspans.Entry], planner: _Planner
    ) -> None:
        """Remove entries of a `{...}` mapping, a run of neighbours at a time.

        Each run goes with the commas that join it to the rest: up to the key
        that follows it, or, at the end, from just after the value before it.
        Taken one entry at a time, two neighbours would both claim the comma
        between them.
        """
        pairs = self.pairs()
        going = {id(e.key): e for e in entries}
        ends: dict[int, int] = {}

        for index, (key, _value) in enumerate(pairs):
            entry = self.tree.lookup(self.node, str(key.value))
            end = self.value_end(entry, planner) if entry is not None else None
            if end is not None:
                ends[index] = end

        index = 0
        while index < len(pairs):
            if id(pairs[index][0]) not in going:
                index += 1
                continue
            last = index
            while last + 1 < len(pairs) and id(pairs[last + 1][0]) in going:
                last += 1
            self._remove_run(pairs, going, ends, index, last, planner)
            index = last + 1

    def _remove_run(
        self,
        pairs: list[tuple[ScalarNode, Node]],
        going: dict[int, yamlspans.Entry],
        ends: dict[int, int],
        first: int,
        last: int,
        planner: _Planner,
    ) -> None:
        def key_start(index: int) -> int | None:
            span = self.tree.span(pairs[index][0])
            return span[0] if span is not None else None

        starts = [key_start(i) for i in range(first, last + 1)]
        if last + 1 < len(pairs):
            start, end = starts[0], key_start(last + 1)
        elif first > 0:
            start, end = ends.get(first - 1), ends.get(last)
        else:
            start, end = starts[0], ends.get(last)

        bounds = [start, *starts[1:], end]
        for offset, index in enumerate(range(first, last + 1)):
            piece = (bounds[offset], bounds[offset + 1])
            self.remove_entry(going[id(pairs[index][0])], planner, flow_span=piece)

    def remove_entry(
        self,
        entry: yamlspans.Entry,
        planner: _Planner,
        label: str = "",
        *,
        flow_span: tuple[int | None, int | None] | None = None,
    ) -> None:
        key_span = self.tree.span(entry.key)
        node = yamlspans.target(entry.value)
        value_end = self.value_end(entry, planner)

        if key_span is None or value_end is None or (flow_span and None in flow_span):
            planner.block(
                self.file,
                entry.key,
                "this credential is written by ERB control flow; remove it by hand",
            )
            return

        if flow_span is not None:
            start, end = flow_span[0] or 0, flow_span[1] or 0
        elif self.flow:
            start, end = self.flow_removal(key_span[0], value_end)
        else:
            start, end = self.line_removal(key_span[0], value_end)
        outcome = self.file.outcome
        outcome.edits.append(spans.Edit(start, end, ""))
        password = entry if entry.key.value == "password" else None

        if label and isinstance(node, MappingNode):
            password = self.tree.lookup(node, "password")
        self.hide_password(password, planner, start, end)

        outcome.note(
            key_span[0],
            f"{label or 'registry/' + str(entry.key.value)} removed: Kamal never logs "
            "in to a local registry",
        )

    def line_removal(self, key_start: int, value_end: int) -> tuple[int, int]:
        """The entry's lines, the comments right above it, and one spare blank."""
        text = self.text
        column = yamlspans.column_of(text, key_start)
        start = spans.line_start(text, key_start)
        while True:
            previous = spans.previous_line(text, start)
            if previous < 0:
                break
            line = self.line(previous)
            if not (yamlspans.is_comment(line) and _indentation_width(line) >= column):
                break
            start = previous
        end = spans.next_line(text, value_end)

        previous = spans.previous_line(text, start)
        blank_before = previous >= 0 and yamlspans.is_blank(self.line(previous))
        after = self.line(end) if end < len(text) else ""
        blank_after = (
            end >= len(text)
            or yamlspans.is_blank(after)
            or _indentation_width(after) < column
        )
        if blank_before and blank_after:
            start = previous
        return start, end

    def flow_removal(self, key_start: int, value_end: int) -> tuple[int, int]:
        text = self.text
        position = key_start

        while position > 0 and text[position - 1] in " \t\r\n":
            position -= 1

        if position > 0 and text[position - 1] == ",":
            return position - 1, value_end
        end = value_end

        while end < len(text) and text[end] in " \t":
            end += 1

        if text.startswith(",", end):
            end += 1
            while end < len(text) and text[end] in " \t":
                end += 1

        return key_start, end


def plan(
    dp: DeployProject, migration: Migration, moving: Iterable[DeployTarget]
) -> DeployPlan:
    """Plan every deploy file's edits (into each file's `outcome`)."""
    return _Planner(dp, migration, list(moving)).run()


# --- verification


def check(
    dp: DeployProject,
    migration: Migration,
    moving: list[DeployTarget],
    results: Mapping[str, str],
) -> list[str]:
    """What is wrong with the edited deploy files; empty when all is as intended.

    Every difference in the data of a file must sit inside an edited span (or
    at an alias of an anchor whose definition was edited), and every moving
    target must end up on the new registry.
    """
    problems = []
    for deploy_file in dp.files:
        after = results.get(deploy_file.display, deploy_file.text)
        if after != deploy_file.text:
            problems.extend(_check_file(dp, deploy_file, after))

    blocked = any(n.blocking for f in dp.files for n in f.outcome.notes)
    for target in moving:
        data, readable = merged_data(
            target.files, dp.environ, target.destination, results
        )
        registry = registry_of(data)
        if not readable or not isinstance(registry, dict):
            problems.append(f"{target.label}: the edited config does not load")
        elif not blocked and registry.get("server") != migration.new_host:
            problems.append(f"{target.label}: registry/server is not the new host")
        elif not blocked and not migration.to_local:
            # Present is enough: an ERB value may render empty without the
            # environment it reads at deploy time.
            if "username" not in registry or "password" not in registry:
                problems.append(f"{target.label}: registry credentials are missing")
            if data.get("image") in (None, "") and data.get("service"):
                problems.append(f"{target.label}: image is missing")
    return problems


def _check_file(dp: DeployProject, deploy_file: DeployFile, after: str) -> list[str]:
    env = environment(dp.environ, deploy_file.destination)
    old = document.parse(deploy_file.text, deploy_file.display, env)
    new = document.parse(after, deploy_file.display, env)
    if not new.parsed:
        return [f"{deploy_file.display} does not parse after the edit"]

    old_regions, new_regions = _edited_regions(deploy_file.outcome.edits)
    old_regions.extend(deploy_file.outcome.touched)
    sites = _shared_sites(deploy_file, old_regions)
    old_lines, new_lines = spans.LineIndex(deploy_file.text), spans.LineIndex(after)
    problems = []
    differences = _differences(
        normalised(old.data, old.rendered), normalised(new.data, new.rendered)
    )
    for path, how in differences:
        if _located(old, path, old_regions, sites, old_lines) or _located(
            new, path, new_regions, set(), new_lines
        ):
            continue
        label = "/".join(map(str, path)) or "the document"
        problems.append(
            f"{deploy_file.display}: {label} {how} outside the edited spans"
        )
    return problems


def _shared_sites(deploy_file: DeployFile, regions: list[tuple[int, int]]) -> set[int]:
    """Alias sites of every anchor whose definition an edit touches."""
    tree = deploy_file.tree
    sites: set[int] = set()

    for name, node in tree.anchors().items():
        start = tree.src(node.start_mark.index)
        end = tree.src_end(node.end_mark.index)
        if any(a < end and start < b for a, b in regions) or any(
            start <= a <= end for a, _b in regions
        ):
            sites.update(tree.sites_of((name,)))

    return sites


def _edited_regions(
    edits: list[spans.Edit],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans replaced in the old text, and the spans their text fills in the new."""
    old_regions = []
    new_regions = []
    shift = 0

    for edit in sorted(edits, key=lambda e: (e.start, e.end > e.start, e.order)):
        if edit.end > edit.start:
            old_regions.append((edit.start, edit.end))
        new_start = edit.start + shift
        new_regions.append((new_start, new_start + len(edit.replacement)))
        shift += len(edit.replacement) - (edit.end - edit.start)

    return old_regions, new_regions


def _located(
    doc: document.Document,
    path: tuple[Any, ...],
    regions: list[tuple[int, int]],
    sites: set[int],
    index: spans.LineIndex,
) -> bool:
    position = doc.positions.get(path)

    if position is None:
        return False

    for mark in (position.value, position.key):
        if mark is None:
            continue
        offset = index.offset(mark.line, mark.column)
        if offset in sites or any(start <= offset < end for start, end in regions):
            return True

    return False


def _differences(
    old: Any, new: Any, path: tuple[Any, ...] = ()
) -> list[tuple[tuple[Any, ...], str]]:
    """Key paths where two documents' data differ, at the deepest level."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in old:
            if key not in new:
                found.append(((*path, key), "was removed"))
            else:
                found.extend(_differences(old[key], new[key], (*path, key)))
        found.extend(((*path, key), "was added") for key in new if key not in old)
        return found

    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (left, right) in enumerate(zip(old, new, strict=True)):
            found.extend(_differences(left, right, (*path, index)))
        return found

    if old == new and type(old) is type(new):
        return []

    return [(path, "changed")]
