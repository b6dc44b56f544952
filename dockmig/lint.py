"""dockmig lint: read a Kamal project like Kamal, check every target, report all.

A target is what one `kamal` invocation would load: the base config alone, or
the base deep-merged with one destination. Each target is read, validated
against the deploy schema and run through the rules; findings from the same
place in the same file are reported once, naming every target they affect.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dockmig import document, erb, project, rules, topology
from dockmig import secrets as kamal_secrets
from dockmig.errors import DockmigError, UsageMistake
from dockmig.findings import Finding, Mark, Position, Severity, format_path
from dockmig.settings import Settings

logger = logging.getLogger(__name__)

MISSING: Any = object()


@dataclass
class TargetContext:
    """One target being checked; rules read it and call `report`."""

    project: project.Project
    destination: str | None
    documents: list[document.Document]
    data: Any
    positions: dict[tuple[Any, ...], Position]
    environ: Mapping[str, str]
    secrets_files: list[kamal_secrets.SecretsFile]
    secrets_paths: list[str]
    settings: Settings
    findings: list[Finding] = field(default_factory=list)
    _topology: topology.Topology | None = None

    @property
    def root(self) -> Path:
        return self.project.root

    def topology(self) -> topology.Topology:
        """Kamal's roles, hosts and proxies for this target, worked out once."""
        if self._topology is None:
            self._topology = topology.read(self.data)
        return self._topology

    @property
    def config_file(self) -> str:
        return self.documents[0].path

    def get(self, *path: Any, default: Any = MISSING) -> Any:
        """The merged value at a key path, or `default` when it is not there."""
        value = self.data
        for part in path:
            if (isinstance(value, dict) and part in value) or (
                isinstance(value, list)
                and isinstance(part, int)
                and 0 <= part < len(value)
            ):
                value = value[part]
            else:
                return default
        return value

    def mark(self, path: tuple[Any, ...], *, at: str = "value") -> Mark:
        """Where a key path was written; the nearest written ancestor when absent."""
        for length in range(len(path), -1, -1):
            position = self.positions.get(path[:length])
            if position is None:
                continue
            if length < len(path) or at == "key":
                return position.key or position.value
            return position.value
        return Mark(self.config_file, 1, 1)

    def report(
        self,
        rule_id: str,
        path: tuple[Any, ...],
        message: str,
        *,
        at: str = "value",
        mark: Mark | None = None,
        severity: Severity | None = None,
        kamal_rejects: bool | None = None,
    ) -> None:
        rule = rules.by_id()[rule_id]
        where = mark or self.mark(path, at=at)
        self.findings.append(
            Finding(
                rule=rule_id,
                severity=severity or rule.severity,
                mark=where,
                message=message,
                key_path=format_path(path),
                kamal_rejects=rule.kamal if kamal_rejects is None else kamal_rejects,
                uncertain=self.is_uncertain(path, where),
            )
        )

    def is_uncertain(self, path: tuple[Any, ...], where: Mark) -> bool:
        """True when ERB dockmig could not evaluate feeds the value or the line."""
        if _contains_placeholder(self.get(*path, default=None)):
            return True
        for doc in self.documents:
            if doc.path == where.file and doc.line_is_conditional(where.line):
                return True
        return False

    def secret_names(self) -> set[str]:
        names: set[str] = set()
        for secrets_file in self.secrets_files:
            names |= secrets_file.names()
        return names


@dataclass
class ProjectContext:
    project: project.Project
    settings: Settings
    targets: list[TargetContext]
    findings: list[Finding] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.project.root

    def report(
        self,
        rule_id: str,
        mark: Mark,
        message: str,
        *,
        severity: Severity | None = None,
    ) -> None:
        rule = rules.by_id()[rule_id]
        self.findings.append(
            Finding(
                rule=rule_id,
                severity=severity or rule.severity,
                mark=mark,
                message=message,
                kamal_rejects=rule.kamal,
            )
        )


@dataclass
class TargetVerdict:
    config: str
    destination: str | None
    kamal_accepts: bool | None
    findings: list[Finding]
    undecided_because: str | None = None


@dataclass
class LintResult:
    root: Path
    targets: list[TargetVerdict]
    findings: list[Finding]

    def failed(self, strict: bool) -> bool:
        floor = Severity.WARNING if strict else Severity.ERROR
        return any(f.severity >= floor for f in self.findings)


def _contains_placeholder(value: Any, budget: int = 10_000) -> bool:
    stack = [value]
    while stack and budget > 0:
        budget -= 1
        item = stack.pop()
        if isinstance(item, str) and erb.PLACEHOLDER_PREFIX in item:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(k for k in item if isinstance(k, str))
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _Reader:
    """Reads each file once per environment: ERB sees KAMAL_DESTINATION."""

    def __init__(self, proj: project.Project, environ: Mapping[str, str]) -> None:
        self.project = proj
        self.environ = environ
        self.sources: dict[str, str] = {}
        self.documents: dict[tuple[str, str | None], document.Document] = {}
        self.secrets: dict[str, kamal_secrets.SecretsFile] = {}
        self.secret_texts: dict[str, str] = {}

    def environment(self, destination: str | None) -> dict[str, str]:
        environ = dict(self.environ)
        environ.pop("KAMAL_DESTINATION", None)
        if destination is not None:
            environ["KAMAL_DESTINATION"] = destination
        return environ

    def deploy_file(self, relative: str, destination: str | None) -> document.Document:
        path = self.project.root / relative
        if relative not in self.sources:
            self.sources[relative] = document.read_text(path, relative)
        source = self.sources[relative]
        # Only KAMAL_DESTINATION differs between targets: a file whose ERB
        # never reads it renders the same for all of them, so parse it once.
        varies = "KAMAL_DESTINATION" in source
        key = (relative, destination if varies else None)
        if key not in self.documents:
            self.documents[key] = document.parse(
                source, relative, self.environment(destination)
            )
        return self.documents[key]

    def secrets_file(self, path: Path) -> kamal_secrets.SecretsFile | None:
        display = self.project.display(path)
        if display not in self.secrets:
            if path.is_dir():
                raise DockmigError(
                    "is a directory, expected a secrets file", path=display
                )
            if not path.exists():
                return None
            text = document.read_text(path, display)
            self.secrets[display] = kamal_secrets.parse_secrets(text, display)
            self.secret_texts[display] = text
        return self.secrets[display]

    def secrets_suppressions(self) -> dict[str, list[document.Suppression]]:
        """Ignore comments of each secrets file read; values do not count."""
        return {
            path: document.find_suppressions(
                self.secret_texts[path],
                [entry.span for entry in secrets_file.entries],
            )
            for path, secrets_file in self.secrets.items()
        }


def lint(
    root: Path,
    *,
    config: str | None = None,
    destinations: Iterable[str] = (),
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    base_only: bool = False,
) -> LintResult:
    """Lint one Kamal project. Raises DockmigError when it cannot be read at all.

    Without `destinations`, the base config alone and every destination; with
    `base_only`, the base config alone, as `kamal deploy` without -d reads it.
    """
    settings = settings or Settings()
    environ = dict(os.environ if environ is None else environ)
    _check_rule_ids([*select, *ignore, *settings.rule_severities])
    explicit = list(destinations)
    proj = project.discover(root, config, explicit)
    reader = _Reader(proj, environ)

    names: list[str | None] = (
        list(proj.destinations) if explicit else [None, *proj.destinations]
    )
    if base_only and not explicit:
        names = [None]
    contexts = [_target(reader, proj, name, settings) for name in names]
    for context in contexts:
        _check_target(context)

    project_context = ProjectContext(proj, settings, contexts)
    for rule in rules.checks():
        if rule.check_project is not None:
            rule.check_project(project_context)

    combined = _combine(contexts, project_context, proj, bool(explicit) or base_only)
    shown = _apply_settings(combined, reader, settings, set(select), set(ignore))
    # Suppressing a finding changes what is shown, never what Kamal would do.
    verdicts = [_verdict(context, combined, shown) for context in contexts]
    return LintResult(root=proj.root, targets=verdicts, findings=shown)


def _check_rule_ids(ids: Iterable[str]) -> None:
    known = rules.by_id()
    for rule_id in ids:
        if rule_id not in known:
            raise UsageMistake(
                f"unknown rule {rule_id!r}; `dockmig rules` lists them all"
            )


def _target(
    reader: _Reader, proj: project.Project, destination: str | None, settings: Settings
) -> TargetContext:
    base = reader.deploy_file(proj.config, destination)
    documents = [base]
    data, positions = mapping_of(base)
    if destination is not None:
        overlay = reader.deploy_file(proj.destination_config(destination), destination)
        documents.append(overlay)
        overlay_data, overlay_positions = mapping_of(overlay)
        if data is not None and overlay_data is not None:
            data, positions = project.deep_merge(
                data, positions, overlay_data, overlay_positions
            )
        else:
            data = None

    secrets_path = project.DEFAULT_SECRETS_PATH
    if isinstance(data, dict) and isinstance(data.get("secrets_path"), str):
        secrets_path = data["secrets_path"]
    paths = project.secrets_files(proj.root, secrets_path, destination)
    files = [f for f in (reader.secrets_file(p) for p in paths) if f is not None]
    return TargetContext(
        project=proj,
        destination=destination,
        documents=documents,
        data=data,
        positions=positions,
        environ=reader.environment(destination),
        secrets_files=files,
        secrets_paths=[proj.display(p) for p in paths],
        settings=settings,
    )


def mapping_of(doc: document.Document) -> tuple[Any, dict[tuple[Any, ...], Position]]:
    if not doc.parsed:
        return None, {}
    if not isinstance(doc.data, dict):
        kind = "empty" if doc.data is None else "not a mapping of settings"
        if not any(f.rule == "yaml-syntax" for f in doc.findings):
            doc.findings.append(
                Finding(
                    rule="yaml-syntax",
                    severity=Severity.ERROR,
                    mark=doc.mark_at(0),
                    message=(
                        f"{doc.path} is {kind}; Kamal needs a mapping of keys such "
                        "as service, image and servers"
                    ),
                    kamal_rejects=True,
                )
            )
        return None, {}
    return doc.data, dict(doc.positions)


def _check_target(context: TargetContext) -> None:
    for doc in context.documents:
        context.findings.extend(doc.findings)
    if context.data is None:
        return
    for rule in rules.checks():
        if rule.check is not None:
            rule.check(context)


def _combine(
    contexts: list[TargetContext],
    project_context: ProjectContext,
    proj: project.Project,
    explicit: bool,
) -> list[Finding]:
    """One finding per place and message, naming every target it affects."""
    merged: dict[tuple[Any, ...], Finding] = {}
    targets: dict[tuple[Any, ...], list[str | None]] = {}
    for context in contexts:
        for finding in context.findings:
            key = (finding.rule, finding.mark, finding.message)
            if key not in merged:
                merged[key] = finding
                targets[key] = []
            elif finding.uncertain != merged[key].uncertain:
                merged[key] = replace(merged[key], uncertain=False)
            if context.destination not in targets[key]:
                targets[key].append(context.destination)

    per_target = [f.with_targets(tuple(targets[key])) for key, f in merged.items()]
    combined = []
    for finding in _drop_covered(per_target, per_target + project_context.findings):
        if not explicit and proj.destinations and finding.targets == (None,):
            # Deploying without -d is not how this project is used; say so
            # rather than fail the commit over it.
            finding = replace(
                finding,
                severity=min(finding.severity, Severity.WARNING),
                message=finding.message + " (only when deploying without -d)",
            )
        combined.append(finding)
    return combined + project_context.findings


def _drop_covered(findings: list[Finding], others: list[Finding]) -> list[Finding]:
    """A rule's finding explains a place better than the schema's generic one.

    Only for the targets the rule's finding is about: a destination that
    fixes what the rule complains of can still break what the schema saw
    at the same place.
    """
    every = {t for f in findings for t in f.targets}
    covering: dict[tuple[Any, ...], set[str | None]] = {}
    for f in others:
        if f.rule != "schema" and f.kamal_rejects:
            # A project-wide finding names no target: it covers them all.
            names = f.targets or every
            covering.setdefault((f.mark, f.kamal_rejects), set()).update(names)

    kept = []
    for f in findings:
        covered = covering.get((f.mark, f.kamal_rejects), set())
        if f.rule == "schema" and covered:
            left = tuple(t for t in f.targets if t not in covered)
            if not left:
                continue
            f = f.with_targets(left)
        kept.append(f)
    return kept


def _apply_settings(
    findings: list[Finding],
    reader: _Reader,
    settings: Settings,
    select: set[str],
    ignore: set[str],
) -> list[Finding]:
    # Every ignore comment of every file read, once: deploy files carry
    # theirs, secrets files are searched here outside their values.
    comments = {doc.path: doc.suppression_comments for doc in reader.documents.values()}
    for path, found in reader.secrets_suppressions().items():
        comments.setdefault(path, found)
    suppressions = {
        path: document.suppressions_by_line(found) for path, found in comments.items()
    }
    findings = findings + list(_unknown_suppressions(comments))

    kept = []
    for finding in findings:
        if select and finding.rule not in select:
            continue
        if finding.rule in ignore:
            continue
        if finding.rule in suppressions.get(finding.file, {}).get(finding.line, set()):
            continue
        if finding.rule in settings.rule_severities:
            level = settings.rule_severities[finding.rule]
            if level is None:
                continue
            finding = replace(finding, severity=level)
        if finding.uncertain and finding.severity > Severity.WARNING:
            finding = _as_a_doubt(finding)
        kept.append(finding)
    return sorted(kept, key=Finding.sort_key)


def _as_a_doubt(finding: Finding) -> Finding:
    # The finding rests on ERB output dockmig could not compute (or on a line
    # ERB control flow may drop): a guess must not fail a commit or a CI run
    # that Kamal would let through. It stays visible, at warning level.
    doubt = (
        "Kamal may accept what it computes"
        if "ERB" in finding.message
        else "depends on ERB that dockmig does not run; Kamal may see something else"
    )
    return replace(
        finding,
        severity=Severity.WARNING,
        message=f"{finding.message} ({doubt})",
    )


def _unknown_suppressions(
    comments: dict[str, list[document.Suppression]],
) -> Iterator[Finding]:
    known = rules.by_id()
    rule = known["unknown-suppression"]

    for path, found in sorted(comments.items()):
        for suppression in found:
            if suppression.rule in known:
                continue
            close = difflib.get_close_matches(suppression.rule, list(known), n=1)
            hint = (
                f"did you mean {close[0]}?" if close else "`dockmig rules` lists them"
            )
            yield Finding(
                rule=rule.id,
                severity=rule.severity,
                mark=Mark(path, suppression.line, suppression.column),
                message=f"ignore comment names {suppression.rule!r}, which is no "
                f"dockmig rule, so it suppresses nothing; {hint}",
            )


def _verdict(
    context: TargetContext, findings: list[Finding], shown: list[Finding]
) -> TargetVerdict:
    mine = [f for f in findings if context.destination in f.targets]
    effectful = [tag for doc in context.documents for tag in doc.rendered.effectful]
    # ERB that does not compile (a tag or block never closed, a stray `end`)
    # fails before any of it runs, so what the tags would do does not matter.
    broken_erb = any(
        problem.syntax for doc in context.documents for problem in doc.rendered.problems
    )
    if effectful and not broken_erb:
        doc = next(d for d in context.documents if d.rendered.effectful)
        tag = doc.rendered.effectful[0]
        where = doc.mark_at(tag.start)
        accepts: bool | None = None
        because = (
            f"{where.file}:{where.line}:{where.column} ERB {_quoted(tag.text_preview)} "
            "may read files, run commands or raise; dockmig does not run it"
        )
    elif any(f.kamal_rejects and not f.uncertain for f in mine):
        accepts, because = False, None
    elif any(doc.undecided for doc in context.documents):
        accepts = None
        because = next(d.undecided for d in context.documents if d.undecided)
    elif any(f.kamal_rejects for f in mine):
        accepts = None
        because = "a problem depends on ERB output dockmig could not compute"
    else:
        accepts, because = True, None
    return TargetVerdict(
        config=context.config_file,
        destination=context.destination,
        kamal_accepts=accepts,
        findings=[f for f in shown if context.destination in f.targets],
        undecided_because=because,
    )


def _quoted(code: str) -> str:
    """Code in backticks, or in quotes when it holds backticks itself (`cmd`)."""
    return f'"{code}"' if "`" in code else f"`{code}`"
