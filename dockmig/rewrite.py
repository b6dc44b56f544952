"""`dockmig rewrite-registry`: plan, verify, then write as one transaction.

1. **Plan.** Read the project like Kamal (deploy config, destinations,
   secrets files), decide which targets move and with which credentials,
   and let each codemod compute its edits. Every other file of the project
   is read once and tested for the old host's bytes; only files that contain
   it are parsed at all.
2. **Verify.** Apply each file's edits in memory and check the result with
   that codemod's own reader: the data must be what was intended. A file
   that fails blocks the whole run.
3. **Write.** Only when nothing blocks: every file is written to a temporary
   file beside it, synced and renamed over the original (mode kept); if one
   write fails, the files already written get their old bytes back. The
   deploy configs go last, so that after a kill they still name the old
   registry and a rerun finishes the move; the rerun also removes the
   temporary files the killed run left.

Nothing here prints: the command renders the plan (`diff`, `summary`).
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockmig import document, project, references, scan, spans
from dockmig import settings as dockmig_settings
from dockmig.codemod import Migration, Note, Outcome, is_local, redact_line
from dockmig.errors import DockmigError, UsageMistake

logger = logging.getLogger(__name__)

_HOST = re.compile(
    r"^(?=.{1,253}(?::\d+)?$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$"
)
_SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The temporary file `_atomic_write` makes beside FILE: `.FILE.<8 chars>.dockmig`
# (tempfile.mkstemp's random part). A kill before its rename leaves it behind.
TEMPORARY_SUFFIX = ".dockmig"
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}" + re.escape(TEMPORARY_SUFFIX))
_DOCKERFILE = re.compile(
    r"^(?:Dockerfile|Containerfile)(?:[.-].*)?$|\.(?:dockerfile|containerfile)$",
    re.IGNORECASE,
)


@dataclass
class Options:
    root: Path
    to: str | None = None
    from_host: str | None = None
    username: str | None = None
    password_secret: str | None = None
    config: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


@dataclass
class Change:
    """One file that would change: its text before (None: new) and after."""

    path: Path
    display: str
    kind: str
    before: str | None
    after: str
    secret_lines_before: set[int] = field(default_factory=set)
    secret_lines_after: set[int] = field(default_factory=set)
    # Written in this order (then by path): see `_write_stage`.
    stage: int = 0


@dataclass
class Plan:
    root: Path
    migration: Migration
    changes: list[Change] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    files_read: int = 0
    files_parsed: int = 0
    # Temporary files an interrupted --write left beside the files planned.
    leftovers: list[Path] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(note.blocking for note in self.notes)


def _codemod(name: str) -> Any:
    """A codemod module; `codemods/` is installed as `dockmig.codemods`."""
    return importlib.import_module(f"dockmig.codemods.{name}")


# --- reading files safely


@dataclass
class _Source:
    path: Path  # resolved, inside the project
    display: str
    text: str | None  # None when the file does not exist yet
    writable: bool = True


class _Files:
    """Reads files of one project: inside it, UTF-8, each file once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sources: dict[str, _Source] = {}

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def inside(self, path: Path) -> bool:
        try:
            path.relative_to(self.root)
        except ValueError:
            return False
        return True

    def read(self, relative: str, *, missing_ok: bool = False) -> _Source:
        if relative in self.sources:
            return self.sources[relative]
        path = self.root / relative
        resolved = path.resolve()
        writable = self.inside(resolved)

        if not path.exists():
            if not missing_ok:
                raise DockmigError("not found", path=relative)
            source = _Source(resolved, relative, None, writable)
        else:
            source = _Source(
                resolved, relative, document.read_text(resolved, relative), writable
            )
        self.sources[relative] = source

        return source


# --- planning


def plan(options: Options) -> Plan:
    """Everything `rewrite-registry` would do, verified, without writing."""
    root = options.root.resolve()
    if not root.is_dir():
        raise DockmigError("is not a directory", path=str(options.root))
    settings = dockmig_settings.load(root)
    proj = project.discover(root, options.config, [])
    files = _Files(root)
    deploy_yaml = _codemod("deploy_yaml")

    texts = {}
    for relative in [proj.config] + [
        proj.destination_config(d) for d in proj.destinations
    ]:
        source = files.read(relative)
        assert source.text is not None
        texts[relative] = source.text
    dp = deploy_yaml.read(proj, texts, options.environ)
    notes: list[Note] = []
    servers = _current_servers(dp, notes, deploy_yaml, options.environ)

    new_host = _new_host(options, settings)
    moving, old_hosts = _moving(dp, servers, new_host, options.from_host, notes)
    username, secret = _credentials(options, settings, moving, new_host)
    migration = Migration(
        new_host,
        tuple(sorted(old_hosts)),
        username,
        secret,
        own_images=_own_images(dp, old_hosts),
    )
    logger.info(
        "moving %d target(s) to %s (from %s)",
        len(moving),
        new_host,
        ", ".join(migration.old_hosts) or "Docker Hub",
    )

    deploy_plan = deploy_yaml.plan(dp, migration, moving)
    outcomes: dict[str, tuple[str, Outcome, Path, bool]] = {}
    for deploy_file in dp.files:
        source = files.read(deploy_file.display)
        outcomes[deploy_file.display] = (
            "deploy",
            deploy_file.outcome,
            source.path,
            source.writable,
        )
    results = {}
    for name, (_kind, outcome, _path, _w) in outcomes.items():
        if outcome.edits and not outcome.blocked:
            try:
                results[name] = outcome.applied()
            except spans.OverlappingEdits as error:
                _refuse(outcome, f"two edits claim the same text ({error})")
    expected = _secrets(files, dp, deploy_plan, results, outcomes)

    result = Plan(root, migration, notes=notes)
    skip = set(outcomes) | {dockmig_settings.FILENAME} | _all_secrets_files(files, dp)
    for relative, kind, outcome in _other_files(root, migration, skip, result):
        outcomes[relative] = (kind, outcome, root / relative, True)

    _verify(dp, migration, moving, outcomes, expected)
    _find_leftovers(result, [path for _k, _o, path, _w in outcomes.values()])
    base = dp.files[0].display
    for relative, (kind, outcome, path, writable) in sorted(outcomes.items()):
        result.notes.extend(outcome.notes)
        after = outcome.result if outcome.result is not None else outcome.text
        known = files.sources.get(relative)
        is_new = known is not None and known.text is None
        if after == outcome.text and not is_new:
            continue
        if kind == "deploy":
            outcome.secret_lines_before |= deploy_yaml.literal_password_lines(
                outcome.text
            )
            outcome.secret_lines_after |= deploy_yaml.literal_password_lines(after)
        if not writable:
            result.notes.append(Note(relative, 0, 0, _outside(root, relative), True))
            continue
        result.changes.append(
            Change(
                path,
                relative,
                kind,
                None if is_new else outcome.text,
                after,
                set(outcome.secret_lines_before),
                set(outcome.secret_lines_after),
                _write_stage(kind, relative == base),
            )
        )

    # A value every target reads is checked once per target; one note each.
    result.notes = list(dict.fromkeys(result.notes))
    return result


def _write_stage(kind: str, base_config: bool) -> int:
    """When a file is written: every other file first, the deploy configs last.

    A rerun after a kill takes the hosts to move from the deploy config
    (`_moving`), so the config must name the old registry until every other
    file has moved; the base config, which every target reads, goes last.
    """
    if kind != "deploy":
        return 1 if kind == "secrets" else 0
    return 3 if base_config else 2


def _find_leftovers(result: Plan, paths: list[Path]) -> None:
    """Note (and keep for `write` to remove) temporaries a killed run left.

    Only names of `_atomic_write`'s own pattern beside a file this run
    plans for: a kill before the rename leaves that file old, so the rerun
    plans it again and finds its temporary.
    """
    listings: dict[Path, list[str]] = {}

    for path in sorted(set(paths)):
        folder = path.parent
        if folder not in listings:
            try:
                listings[folder] = sorted(os.listdir(folder))
            except OSError:
                listings[folder] = []
        for name in listings[folder]:
            match = _TEMPORARY.fullmatch(name)
            if match is None or match["name"] != path.name:
                continue
            candidate = folder / name
            if candidate in result.leftovers:
                continue
            try:
                regular = stat.S_ISREG(candidate.lstat().st_mode)
            except OSError:
                continue
            if not regular:
                continue
            result.leftovers.append(candidate)
            result.notes.append(
                Note(
                    _display(result.root, candidate),
                    0,
                    0,
                    "a temporary file left by an interrupted `rewrite-registry "
                    "--write`; --write removes it",
                )
            )


def _outside(root: Path, relative: str) -> str:
    """Why a file the move needs is not written: where it leads."""
    written = Path(os.path.normpath(root / relative))
    if written.is_relative_to(root):
        return (
            "is a symbolic link that leads out of the project; dockmig does not "
            "write through it"
        )
    return (
        f"is outside the project {root}; dockmig writes only inside it: run it "
        "from the project that holds this file"
    )


def _display(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _current_servers(
    dp: Any, notes: list[Note], deploy_yaml: Any, environ: Mapping[str, str]
) -> dict[str | None, str | None]:
    """Each target's registry server now (None: Docker Hub or unreadable)."""
    servers: dict[str | None, str | None] = {}

    for target in dp.targets:
        broken = next((f for f in target.files if f.tree.error), None)
        if broken is not None and target.readable:
            offset = broken.tree.error_at
            _add_once(
                notes,
                Note(
                    broken.display,
                    spans.line_number(broken.text, offset),
                    spans.column_number(broken.text, offset),
                    f"cannot be read as YAML ({broken.tree.error}); fix it first",
                    blocking=True,
                ),
            )
            target.readable = False
            servers[target.destination] = None
            continue
        if not target.readable:
            env = deploy_yaml.environment(environ, target.destination)
            _add_once(notes, _unreadable(target, env, deploy_yaml))
            servers[target.destination] = None
            continue
        server = deploy_yaml.current_server(target)
        if (
            server is not None and deploy_yaml.erb_computed(server)
        ) or _server_made_by_erb(target):
            notes.append(_erb_server(target))
            target.readable = False
        servers[target.destination] = server

    return servers


def _add_once(notes: list[Note], note: Note) -> None:
    # The base file belongs to every target: its problem is told once.
    if note not in notes:
        notes.append(note)


def _unreadable(target: Any, environ: Mapping[str, str], deploy_yaml: Any) -> Note:
    """The reader's own finding, at its place, for the file that does not load."""
    for deploy_file in target.files:
        doc = document.parse(deploy_file.text, deploy_file.display, environ)
        failure = deploy_yaml.load_failure(doc)
        if failure is not None:
            mark, message = failure
            return Note(
                deploy_file.display,
                mark.line,
                mark.column,
                f"cannot be read ({message}); fix it first",
                blocking=True,
            )
        if not isinstance(doc.data, dict):
            # Empty, comment-only, a list or a scalar: Kamal's loader crashes.
            return Note(
                deploy_file.display,
                1,
                1,
                "is not a mapping Kamal can load (it needs top-level keys such as "
                "service and image); fix it first",
                blocking=True,
            )

    return Note(
        target.files[-1].display,
        1,
        1,
        f"the config for {target.label} is not a mapping Kamal can load; fix it first",
        blocking=True,
    )


def _server_made_by_erb(target: Any) -> bool:
    # ERB dockmig could evaluate still leaves no text to edit: the value is
    # the tag's output (`<%= ENV["REG"] %>`, empty when REG is unset).
    for deploy_file in target.files:
        entry = deploy_file.tree.lookup(deploy_file.root, "registry")
        server = (
            deploy_file.tree.lookup(entry.value, "server")
            if entry is not None
            else None
        )
        if server is None:
            continue
        span = deploy_file.tree.span(server.value)
        if span is None:
            return True
        # An empty output leaves an empty span after the tag: look between
        # the key and the value for it.
        key = deploy_file.tree.span(server.key)
        if key is not None and "<%" in deploy_file.text[key[1] : span[1]]:
            return True
    return False


def _erb_server(target: Any) -> Note:
    for deploy_file in reversed(target.files):
        entry = deploy_file.tree.lookup(deploy_file.root, "registry")
        server = (
            deploy_file.tree.lookup(entry.value, "server")
            if entry is not None
            else None
        )
        if server is not None:
            value = server.value
            # An empty ERB output has no place of its own: name the key.
            empty = value.start_mark.index == value.end_mark.index
            offset = deploy_file.tree.src(
                (server.key if empty else value).start_mark.index
            )
            return Note(
                deploy_file.display,
                spans.line_number(deploy_file.text, offset),
                spans.column_number(deploy_file.text, offset),
                "registry/server is computed by ERB or inside ERB control flow; "
                "dockmig does not rewrite computed values: set the server by hand",
                blocking=True,
            )

    return Note(
        target.files[0].display,
        1,
        1,
        "registry/server is computed by ERB; set it by hand",
        blocking=True,
    )


def check_host(host: str, what: str) -> str:
    """`host` if it is HOST[:PORT]; a usage error when `what` is an option."""
    refuse = UsageMistake if what.startswith("--") else DockmigError
    if not _HOST.match(host):
        raise refuse(
            f"{what} {host!r} is not HOST or HOST:PORT (no scheme, no path), "
            "e.g. registry.example.com or localhost:5555"
        )
    _, colon, port = host.rpartition(":")
    if colon and port.isdigit() and not 0 < int(port) < 65536:
        raise refuse(f"{what} {host!r}: port {port} is outside 1-65535")
    return host


def _new_host(options: Options, settings: dockmig_settings.Settings) -> str:
    if options.to:
        return check_host(options.to, "--to")
    if not settings.registry_host:
        raise UsageMistake(
            "no registry to move to: pass --to HOST[:PORT] or set registry.host "
            f"in {dockmig_settings.FILENAME}"
        )
    return check_host(
        settings.registry_host, f"registry.host in {dockmig_settings.FILENAME}"
    )


def _moving(
    dp: Any,
    servers: Mapping[str | None, str | None],
    new_host: str,
    from_host: str | None,
    notes: list[Note],
) -> tuple[list[Any], set[str]]:
    """The targets that move, and the hosts whose image references move.

    Without --from, the registry being left is config/deploy.yml's, and a
    destination's own local registry (`localhost:5000`) goes with it; a
    destination on another remote registry (ghcr.io for a fork) is not part
    of the move, and is never overwritten, either way round.
    """
    readable = [t for t in dp.targets if t.readable]
    base = next((t for t in readable if t.destination is None), None)
    if from_host is None and base is None:
        every = {s for s in servers.values() if s and s.lower() != new_host.lower()}
        return readable, every
    leaving = from_host or servers[None] or "docker.io"

    def moves(server: str | None) -> bool:
        name = (server or "docker.io").lower()
        if name in (leaving.lower(), new_host.lower()):
            return True
        return from_host is None and is_local(leaving) and is_local(name)

    moving = []
    hosts: set[str] = set()
    for target in readable:
        server = servers[target.destination]
        if moves(server):
            moving.append(target)
            if server and server.lower() != new_host.lower():
                hosts.add(server)
            continue
        why = (
            "not --from"
            if from_host is not None
            else f"not {leaving} as config/deploy.yml does"
        )
        notes.append(
            Note(
                target.files[-1].display,
                0,
                0,
                f"{target.label} uses the registry {server or 'Docker Hub'}, {why}; "
                "left as it is"
                + ("" if from_host is not None else " (pass --from to move it)"),
            )
        )
    if from_host is not None and from_host.lower() != new_host.lower():
        hosts.add(from_host)
    return moving, hosts


def _own_images(dp: Any, old_hosts: set[str]) -> tuple[str, ...]:
    """The app's repositories, as image references name them after the host."""
    own: set[str] = set()

    for target in dp.targets:
        image = target.data.get("image") if isinstance(target.data, dict) else None
        if not isinstance(image, str) or not image:
            continue
        for host in old_hosts:
            if image.lower().startswith(host.lower() + "/"):
                image = image[len(host) + 1 :]
        name = image.split("@", 1)[0]
        if ":" in name.rsplit("/", 1)[-1]:
            name = name.rsplit(":", 1)[0]
        own.add(name.lower())

    return tuple(sorted(own))


def _credentials(
    options: Options,
    settings: dockmig_settings.Settings,
    moving: list[Any],
    new_host: str,
) -> tuple[str | None, str | None]:
    """--username/--password-secret, else settings, else what the config has."""
    if is_local(new_host):
        return None, None
    username = options.username or settings.registry_username
    secret = options.password_secret or settings.password_secret
    if username is not None and (
        not username.strip() or any(c < " " or c == "\x7f" for c in username)
    ):
        # A registry user is one line of printable text; a line break would
        # not survive YAML's folding of plain and quoted scalars.
        where = "--username" if options.username else "registry.username"
        raise UsageMistake(f"{where} must be one line of printable text")
    if secret is not None and not _SECRET_NAME.match(secret):
        raise UsageMistake(
            f"--password-secret {secret!r} is not a secret name (letters, digits, _)"
        )

    registries: list[dict[str, Any]] = []
    for target in moving:
        registry = (
            target.data.get("registry") if isinstance(target.data, dict) else None
        )
        registries.append(registry if isinstance(registry, dict) else {})
    if username is None and any(not r.get("username") for r in registries):
        raise UsageMistake(
            f"{new_host} needs a username: pass --username USER or set "
            f"registry.username in {dockmig_settings.FILENAME}"
        )
    if secret is None:
        names = {_secret_of(r.get("password")) for r in registries}
        if None in names or len(names) > 1:
            raise UsageMistake(
                f"{new_host} needs a password secret: pass --password-secret NAME or "
                f"set registry.password_secret in {dockmig_settings.FILENAME}"
            )
        secret = names.pop() if names else None
    return username, secret


def _secret_of(password: Any) -> str | None:
    if isinstance(password, list) and len(password) == 1:
        return str(password[0])
    return None


# --- secrets files


def _secrets_path(target: Any) -> str:
    data = target.data if isinstance(target.data, dict) else {}
    path = data.get("secrets_path")
    return path if isinstance(path, str) else project.DEFAULT_SECRETS_PATH


def _target_secrets(files: _Files, target: Any) -> list[str]:
    paths = project.secrets_files(files.root, _secrets_path(target), target.destination)
    return [files.display(p) for p in paths]


def _all_secrets_files(files: _Files, dp: Any) -> set[str]:
    found: set[str] = set()

    for target in dp.targets:
        found.update(_target_secrets(files, target))
        base = files.root / _secrets_path(target)
        if base.parent.is_dir():
            found.update(
                files.display(p)
                for p in base.parent.glob(base.name + "*")
                if p.is_file()
            )

    return found


def _secrets(
    files: _Files,
    dp: Any,
    deploy_plan: Any,
    results: Mapping[str, str],
    outcomes: dict[str, tuple[str, Outcome, Path, bool]],
) -> dict[str, tuple[set[str], set[str]]]:
    """Plan the secrets files; per file, the names it must gain and lose."""
    secrets_file = _codemod("secrets_file")
    expected: dict[str, tuple[set[str], set[str]]] = {}

    def outcome_for(relative: str) -> Outcome:
        if relative not in outcomes:
            source = files.read(relative, missing_ok=True)
            text = source.text or ""
            outcome = Outcome(relative, text)
            outcome.secret_lines_before = secrets_file.secret_lines(text, relative)
            outcomes[relative] = ("secrets", outcome, source.path, source.writable)
            expected[relative] = (set(), set())
        return outcomes[relative][1]

    def defines(relative: str, name: str) -> bool:
        source = files.read(relative, missing_ok=True)
        return source.text is not None and secrets_file.defines(
            source.text, relative, name
        )

    secret = deploy_plan.secret
    needing = {t.destination: t for t in deploy_plan.needs_secret}
    missing = [
        t
        for t in needing.values()
        if not any(defines(f, secret) for f in _target_secrets(files, t))
    ]
    for relative in _choose_secrets_files(files, dp, missing):
        outcome = outcome_for(relative)
        secrets_file.add(outcome, secret, _old_password_secret(dp))
        expected[relative][0].add(secret)

    released = set(deploy_plan.released_secrets) - _referenced_names(dp, results)
    for name in sorted(released):
        for relative in sorted(
            {f for t in dp.targets for f in _target_secrets(files, t)}
        ):
            source = files.read(relative, missing_ok=True)
            if source.text is None:
                continue
            outcome = outcome_for(relative)
            if secrets_file.remove(outcome, name):
                expected[relative][1].add(name)

    for relative in expected:
        outcome = outcomes[relative][1]
        if outcome.edits:
            after = outcome.applied()
            outcome.secret_lines_after = secrets_file.secret_lines(after, relative)
    return expected


def _choose_secrets_files(files: _Files, dp: Any, missing: list[Any]) -> list[str]:
    """A file Kamal reads for every target that misses the secret."""
    if not missing:
        return []
    secrets_file = _codemod("secrets_file")
    commons = {_target_secrets(files, t)[0] for t in dp.targets}

    if len(dp.targets) == 1:
        common, own = _target_secrets(files, dp.targets[0])
        existing = [
            relative
            for relative in (own, common)
            if files.read(relative, missing_ok=True).text is not None
        ]
        old = _old_password_secret(dp)
        for relative in existing:
            text = files.sources[relative].text or ""
            if old and secrets_file.defines(text, relative, old):
                return [relative]
        return existing[:1] or [own]

    if len(commons) == 1:
        return [commons.pop()]
    chosen = []

    for target in missing:
        common, own = _target_secrets(files, target)
        exists = files.read(common, missing_ok=True).text is not None
        chosen.append(common if exists else own)

    return sorted(set(chosen))


def _old_password_secret(dp: Any) -> str | None:
    for target in dp.targets:
        registry = (
            target.data.get("registry") if isinstance(target.data, dict) else None
        )
        if isinstance(registry, dict):
            name = _secret_of(registry.get("password"))
            if name:
                return name

    return None


def _referenced_names(dp: Any, results: Mapping[str, str]) -> set[str]:
    """Every string in the edited deploy data: a secret named there is in use."""
    deploy_yaml = _codemod("deploy_yaml")
    names: set[str] = set()

    for target in dp.targets:
        data, _readable = deploy_yaml.merged_data(
            target.files, dp.environ, target.destination, results
        )
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                names.add(item)
                names.update(item.split(":"))
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    return names


# --- every other file of the project


def classify(relative: str, head: bytes) -> str | None:
    """Which codemod handles a file, by its name (and `#!` line)."""
    name = relative.rsplit("/", 1)[-1]

    if _DOCKERFILE.search(name):
        return "dockerfile"
    workflow = _codemod("workflow")

    if workflow.is_workflow(relative):
        return "workflow"
    compose = _codemod("compose")

    if compose.is_compose(name):
        return "compose"
    first_line = head.split(b"\n", 1)[0]

    if name.endswith((".py", ".pyi")) or (
        first_line.startswith(b"#!") and b"python" in first_line
    ):
        return "python_source"
    shell = _codemod("shell")

    if shell.is_shell(relative, head):
        return "shell"

    return None


def _other_files(
    root: Path, migration: Migration, skip: set[str], result: Plan
) -> Iterator[tuple[str, str, Outcome]]:
    found = scan.HostScan(root, migration.old_hosts, skip)

    for relative, data in found:
        if isinstance(data, scan.TooLarge):
            # Loading it could exhaust memory; a file dockmig would rewrite
            # blocks, any other is a note like a small one that names the host.
            rewritten = classify(relative, data.head) is not None
            too_large = Outcome(relative, "", notes=[data.note(blocking=rewritten)])
            yield relative, "binary", too_large
            continue
        outcome = _rewrite_other(relative, data, migration)
        if outcome is not None:
            if outcome[0] not in ("other", "binary"):
                result.files_parsed += 1
            yield relative, outcome[0], outcome[1]
    result.files_read += found.files_read


def _rewrite_other(
    relative: str, data: bytes, migration: Migration
) -> tuple[str, Outcome] | None:
    kind = classify(relative, data[:256])

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if kind is None:
            return None
        outcome = Outcome(relative, "")
        outcome.notes.append(
            Note(
                relative,
                0,
                0,
                "names the old registry but is not UTF-8 text; re-save it as UTF-8 "
                "or edit it by hand",
                blocking=True,
            )
        )
        return "binary", outcome

    if kind is None:
        found = [
            m
            for m in references.mentions(text, migration.old_hosts)
            if references.distinctive(m.host)
        ]
        if not found:
            return None
        outcome = Outcome(relative, text)
        outcome.note(
            found[0].start,
            "names the old registry; dockmig does not rewrite this kind of file, "
            "check it by hand",
        )
        return "other", outcome
    logger.debug("%s: %s codemod", relative, kind)
    codemod = _codemod(kind)
    planned: Outcome = codemod.rewrite(text, relative, migration)

    if planned.edits and not planned.blocked:
        # Checked right away, while the codemod still holds what it parsed.
        try:
            planned.result = planned.applied()
        except spans.OverlappingEdits as error:
            _refuse(planned, f"overlapping edits: {error}")
        else:
            problem = codemod.check(text, planned.result, migration)
            if problem:
                _refuse(planned, str(problem))

    return kind, planned


# --- verification


def _verify(
    dp: Any,
    migration: Migration,
    moving: list[Any],
    outcomes: dict[str, tuple[str, Outcome, Path, bool]],
    secrets_expected: Mapping[str, tuple[set[str], set[str]]],
) -> None:
    """Apply every file's edits in memory and check them with its own reader."""
    results: dict[str, str] = {}
    for relative, (kind, outcome, _path, _w) in outcomes.items():
        if kind not in ("deploy", "secrets"):
            continue  # verified as soon as it was planned
        if not outcome.edits or outcome.blocked:
            continue
        try:
            outcome.result = outcome.applied()
        except spans.OverlappingEdits as error:
            _refuse(outcome, f"overlapping edits: {error}")
            continue
        results[relative] = outcome.result
        if kind == "secrets":
            added, removed = secrets_expected[relative]
            problem = _codemod("secrets_file").check(
                outcome.text, outcome.result, relative, added, removed
            )
            if problem:
                _refuse(outcome, str(problem))

    deploy_results = {
        f.display: results[f.display] for f in dp.files if f.display in results
    }
    if not deploy_results:
        return
    problems = _codemod("deploy_yaml").check(dp, migration, moving, deploy_results)
    for problem in problems:
        _refuse(dp.files[0].outcome, problem)
    if problems:
        for deploy_file in dp.files:
            deploy_file.outcome.result = None


def _refuse(outcome: Outcome, problem: str) -> None:
    logger.warning("verification failed: %s", problem)
    outcome.result = None
    outcome.notes.append(
        Note(
            outcome.path,
            0,
            0,
            f"the edit did not verify ({problem}); nothing will be written",
            blocking=True,
        )
    )


# --- writing


def write(result: Plan) -> list[str]:
    """Write every change atomically; on failure restore what was written."""
    if result.blocked:
        raise DockmigError("the plan has blocking notes; nothing was written")
    for change in result.changes:
        _unchanged_since_read(change)
    _remove_leftovers(result)

    written: list[tuple[Change, bytes | None, list[Path]]] = []
    ordered = sorted(result.changes, key=lambda c: (c.stage, c.display))
    try:
        for change in ordered:
            created = _make_folders(change.path.parent, result.root)
            original = change.path.read_bytes() if change.before is not None else None
            written.append((change, original, created))
            _atomic_write(change.path, change.after.encode("utf-8"))
    except OSError as error:
        _restore(written)
        raise DockmigError(
            f"writing {written[-1][0].display if written else '?'} failed "
            f"({error.strerror or error}); every file already written was restored"
        ) from None
    return [change.display for change in result.changes]


def _remove_leftovers(result: Plan) -> None:
    for leftover in result.leftovers:
        try:
            leftover.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise DockmigError(
                f"cannot remove a temporary file left by an interrupted run "
                f"({error.strerror or error}); remove it by hand",
                path=_display(result.root, leftover),
            ) from None
        logger.info("removed %s, left by an interrupted run", leftover)


def _unchanged_since_read(change: Change) -> None:
    if change.before is None:
        if change.path.exists():
            raise DockmigError(
                "appeared while dockmig was planning", path=change.display
            )
        return

    try:
        current = change.path.read_bytes()
    except OSError:
        current = b""

    if current != change.before.encode("utf-8"):
        raise DockmigError(
            "changed while dockmig was planning; run it again", path=change.display
        )


def _make_folders(folder: Path, root: Path) -> list[Path]:
    created = []
    missing = []

    while not folder.exists() and folder != root:
        missing.append(folder)
        folder = folder.parent

    for path in reversed(missing):
        path.mkdir()
        created.append(path)

    return created


def _atomic_write(path: Path, data: bytes) -> None:
    """Temporary file beside `path`, fsync, rename over it; the mode is kept."""
    mode = None

    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX
    )

    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return

    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _restore(written: list[tuple[Change, bytes | None, list[Path]]]) -> None:
    for change, original, created in reversed(written):
        try:
            if original is None:
                if change.path.exists():
                    change.path.unlink()
            elif not change.path.exists() or change.path.read_bytes() != original:
                _atomic_write(change.path, original)
            for folder in reversed(created):
                folder.rmdir()
        except OSError as error:
            logger.error("could not restore %s: %s", change.display, error)


# --- showing the plan


_COLOURS = {"-": "\033[31m", "+": "\033[32m", "@": "\033[36m", "h": "\033[1m"}
_RESET = "\033[0m"


def diff(change: Change, colour: bool = False) -> str:
    """A unified diff of one change; secret values shown as [redacted]."""
    before = (change.before or "").splitlines(keepends=True)
    after = change.after.splitlines(keepends=True)
    shown_before = _shown(before, change.secret_lines_before)
    shown_after = _shown(after, change.secret_lines_after)

    def paint(kind: str, line: str) -> str:
        return f"{_COLOURS[kind]}{line}{_RESET}" if colour else line

    old_name = "/dev/null" if change.before is None else f"a/{change.display}"
    out = [paint("h", f"--- {old_name}"), paint("h", f"+++ b/{change.display}")]
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append(
            paint(
                "@",
                f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@",
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in shown_before[i1:i2])
                continue
            for index in range(i1, i2):
                out.append(paint("-", "-" + shown_before[index]))
                if index == len(before) - 1 and not _ends_line(before[index]):
                    out.append("\\ No newline at end of file")
            for index in range(j1, j2):
                out.append(paint("+", "+" + shown_after[index]))
                if index == len(after) - 1 and not _ends_line(after[index]):
                    out.append("\\ No newline at end of file")
    return "\n".join(out) + "\n"


def _shown(lines: list[str], secret: set[int]) -> list[str]:
    shown = []
    for number, line in enumerate(lines, start=1):
        body = line.rstrip("\r\n")
        shown.append(redact_line(body) if number in secret else body)
    return shown


def _ends_line(line: str) -> bool:
    return line.endswith(("\n", "\r"))


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 0:
        return f"{start},0"
    return f"{start + 1}" if length == 1 else f"{start + 1},{length}"


def summary(result: Plan, *, written: bool = False) -> str:
    files = len(result.changes)
    verb = "changed" if written else "would change"
    blocking = sum(1 for n in result.notes if n.blocking)
    parts = [
        f"{files} file{'s' if files != 1 else ''} {verb}",
        f"moving to {result.migration.new_host}",
        f"{result.files_read} other files read, {result.files_parsed} parsed",
    ]

    if blocking:
        # The diff shows the files that could be edited; none is written
        # while anything blocks, and the summary must not suggest otherwise.
        parts.append(
            f"{blocking} blocking problem{'s' if blocking != 1 else ''}: "
            "--write changes nothing until "
            f"{'they are' if blocking != 1 else 'it is'} fixed"
        )

    return "; ".join(parts)
