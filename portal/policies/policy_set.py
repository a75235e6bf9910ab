"""The policy set as one YAML file: its structure and its validation (pure).

A policy set holds the organisation's default reminder policy, per-type
policies, and the credential types each job role and each project requires::

    version: 1
    default_policy:
      offsets: [90, 60, 30, 14, 7, 0]
      grace_days: 30
      renewal_lead_days: null
      allow_digest: false
      escalation:
        - {days_before: 30, notify: manager}
        - {days_before: 7, notify: hr}
        - {days_before: 0, notify: compliance}
    policies:
      NY-RN: {offsets: [120, 90, 60, 30, 14, 7, 0], grace_days: 0, renewal_lead_days: 45}
    role_requirements:
      RN: [NY-RN, {credential_type: AHA-ACLS, lead_days: 60}]
    project_requirements:
      STMARY-ICU: [{credential_type: AHA-PALS, lead_days: 60}]

``parse`` reads text and reports every problem with its line number; the
rules for one policy (``policy_errors``) are the same ones the admin form uses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import yaml
from portal.errors import Invalid

RECIPIENTS = ("manager", "hr", "compliance")
VERSION = 1
TOP_KEYS = ("version", "default_policy", "policies", "role_requirements", "project_requirements")
POLICY_KEYS = ("offsets", "grace_days", "escalation", "renewal_lead_days", "allow_digest")
MAX_DAYS = 3650


# --------------------------------------------------------------------------- one policy


@dataclass(frozen=True)
class PolicySpec:
    offsets: tuple[int, ...]
    grace_days: int
    escalation: tuple[tuple[int, str], ...]  # (days_before, notify)
    renewal_lead_days: int | None = None
    allow_digest: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "offsets": list(self.offsets),
            "grace_days": self.grace_days,
            "renewal_lead_days": self.renewal_lead_days,
            "allow_digest": self.allow_digest,
            "escalation": [{"days_before": d, "notify": n} for d, n in self.escalation],
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def policy_errors(offsets: Any, grace_days: Any, escalation: Any, renewal_lead_days: Any = None,
                  allow_digest: Any = False) -> dict[str, str]:
    """Problems with one policy's values, by field (empty when it is valid).

    Offsets are non-negative whole days, unique, sorted from the largest;
    grace is zero or more days; each escalation step names a known recipient
    and a non-negative number of days before expiry.
    """
    errors: dict[str, str] = {}
    if not isinstance(offsets, (list, tuple)) or not offsets:
        errors["offsets"] = "List at least one reminder offset in days, e.g. 90, 60, 30, 14, 7, 0."
    elif not all(_is_int(o) for o in offsets):
        errors["offsets"] = "Reminder offsets must be whole numbers of days."
    elif any(o < 0 or o > MAX_DAYS for o in offsets):
        errors["offsets"] = f"Reminder offsets must be between 0 and {MAX_DAYS} days."
    elif len(set(offsets)) != len(offsets):
        errors["offsets"] = "Each reminder offset may appear only once."
    elif list(offsets) != sorted(offsets, reverse=True):
        errors["offsets"] = "List reminder offsets from the largest to the smallest (90, 60, 30...)."
    if not _is_int(grace_days) or grace_days < 0 or grace_days > MAX_DAYS:
        errors["grace_days"] = "Grace must be zero or more whole days."
    if renewal_lead_days is not None and (
        not _is_int(renewal_lead_days) or renewal_lead_days < 0 or renewal_lead_days > MAX_DAYS
    ):
        errors["renewal_lead_days"] = "Renewal lead time must be zero or more whole days, or empty."
    if not isinstance(allow_digest, bool):
        errors["allow_digest"] = "allow_digest must be true or false."
    if not isinstance(escalation, (list, tuple)):
        errors["escalation"] = "Escalation must be a list of steps."
    else:
        for step in escalation:
            problem = _step_error(step)
            if problem:
                errors["escalation"] = problem
                break
    return errors


def _step_error(step: Any) -> str | None:
    if isinstance(step, (list, tuple)) and len(step) == 2:
        days, notify = step
    elif isinstance(step, dict):
        unknown = set(step) - {"days_before", "notify"}
        if unknown:
            return f"Unknown escalation field {sorted(unknown)[0]!r} (use days_before and notify)."
        days, notify = step.get("days_before"), step.get("notify")
    else:
        return "Each escalation step needs days_before and notify."
    if not _is_int(days) or days < -MAX_DAYS or days > MAX_DAYS:
        return "Escalation days_before must be a whole number of days."
    if notify not in RECIPIENTS:
        return f"Escalation can notify {', '.join(RECIPIENTS)}; not {notify!r}."
    return None


def make_policy(values: dict[str, Any]) -> PolicySpec:
    """A PolicySpec from values that passed ``policy_errors``."""
    steps = []
    for step in values.get("escalation") or ():
        if isinstance(step, dict):
            steps.append((int(step["days_before"]), str(step["notify"])))
        else:
            steps.append((int(step[0]), str(step[1])))
    return PolicySpec(
        offsets=tuple(int(o) for o in values["offsets"]),
        grace_days=int(values["grace_days"]),
        escalation=tuple(sorted(steps, key=lambda s: -s[0])),
        renewal_lead_days=values.get("renewal_lead_days"),
        allow_digest=bool(values.get("allow_digest", False)),
    )


def parse_int_list(text: str) -> list[int] | str:
    """"90, 60, 30" -> [90, 60, 30]; a message when a part is not a number."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        return "Write whole numbers of days separated by commas, e.g. 90, 60, 30."


def parse_escalation_text(text: str) -> list[dict[str, Any]] | str:
    """"30 manager, 7 hr, 0 compliance" -> steps; a message when unreadable."""
    steps = []
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        bits = part.replace(":", " ").split()
        if len(bits) != 2:
            return "Write each step as days and recipient, e.g. 30 manager, 7 hr, 0 compliance."
        try:
            days = int(bits[0])
        except ValueError:
            return "Write each step as days and recipient, e.g. 30 manager, 7 hr, 0 compliance."
        steps.append({"days_before": days, "notify": bits[1].lower()})
    return steps


def escalation_text(steps: Iterable[Any]) -> str:
    out = []
    for step in steps or ():
        if isinstance(step, dict):
            out.append(f"{step.get('days_before')} {step.get('notify')}")
        else:
            out.append(f"{step[0]} {step[1]}")
    return ", ".join(out)


# --------------------------------------------------------------------------- the whole set


@dataclass(frozen=True)
class RequirementSpec:
    credential_type: str
    lead_days: int | None = None


@dataclass
class PolicySet:
    default_policy: PolicySpec
    policies: dict[str, PolicySpec] = field(default_factory=dict)
    role_requirements: dict[str, list[RequirementSpec]] = field(default_factory=dict)
    project_requirements: dict[str, list[RequirementSpec]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def reqs(by_code):
            return {
                code: [r.credential_type if r.lead_days is None
                       else {"credential_type": r.credential_type, "lead_days": r.lead_days}
                       for r in sorted(items, key=lambda r: r.credential_type)]
                for code, items in sorted(by_code.items())
            }

        return {
            "version": VERSION,
            "default_policy": self.default_policy.as_dict(),
            "policies": {code: p.as_dict() for code, p in sorted(self.policies.items())},
            "role_requirements": reqs(self.role_requirements),
            "project_requirements": reqs(self.project_requirements),
        }


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based; None when the file as a whole is wrong
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def _invalid(problems: list[Problem]) -> Invalid:
    return Invalid("; ".join(str(p) for p in problems), "file", detail=problems)


HEADER = ("# Credwatch policy set: reminder and escalation policies and the credential\n"
          "# types each job role and project requires. Importing it replaces them all.\n")


def dump(policy_set: PolicySet) -> str:
    return HEADER + yaml.safe_dump(policy_set.as_dict(), sort_keys=False, default_flow_style=None,
                                   allow_unicode=True, width=100)


# Line-aware loading: YAML nodes keep their position, plain values do not.


class _Map(dict):
    line: int = 0
    key_lines: dict


class _Seq(list):
    line: int = 0
    item_lines: list


def _build(node, problems: list[Problem]):
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line, out.key_lines = line, {}
        for key_node, value_node in node.value:
            key = _build(key_node, problems)
            if not isinstance(key, (str, int)):
                problems.append(Problem(key_node.start_mark.line + 1, "Keys must be plain names."))
                continue
            key = str(key)
            if key in out:
                problems.append(Problem(key_node.start_mark.line + 1, f"{key!r} appears twice."))
                continue
            out[key] = _build(value_node, problems)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        out = _Seq()
        out.line, out.item_lines = line, []
        for item in node.value:
            out.append(_build(item, problems))
            out.item_lines.append(item.start_mark.line + 1)
        return out
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def _line_of(container, key) -> int | None:
    if isinstance(container, _Map):
        return container.key_lines.get(key, container.line)
    if isinstance(container, _Seq) and isinstance(key, int) and key < len(container.item_lines):
        return container.item_lines[key]
    return getattr(container, "line", None)


def load_text(text: str) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem(mark.line + 1 if mark else None, f"Not valid YAML: {exc.problem}")]
    except yaml.YAMLError as exc:
        return None, [Problem(None, f"Not valid YAML: {exc}")]
    if node is None:
        return None, [Problem(None, "The file is empty.")]
    try:
        data = _build(node, problems)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(mark.line + 1 if mark else None, f"Not valid YAML: {exc}")]
    return data, problems


def parse(text: str, type_codes: Iterable[str], role_codes: Iterable[str],
          project_codes: Iterable[str]) -> PolicySet:
    """The policy set in ``text``, checked against the codes that exist.

    Raises ``Invalid`` (its ``detail``: the problems with their lines) listing every problem with its line.
    """
    data, problems = load_text(text)
    if data is None:
        raise _invalid(problems)
    types, roles, projects = set(type_codes), set(role_codes), set(project_codes)
    if not isinstance(data, dict):
        raise _invalid([Problem(getattr(data, "line", 1), "The file must be a mapping of sections.")])
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Problem(_line_of(data, key), f"Unknown section {key!r} (expected one of "
                                                         f"{', '.join(TOP_KEYS)})."))
    if data.get("version", VERSION) != VERSION:
        problems.append(Problem(_line_of(data, "version"), f"Unsupported version {data.get('version')!r}; "
                                                           f"this portal reads version {VERSION}."))

    default = None
    if "default_policy" not in data:
        problems.append(Problem(None, "The default_policy section is missing."))
    else:
        default = _policy(data["default_policy"], _line_of(data, "default_policy"), problems)

    policies: dict[str, PolicySpec] = {}
    section = _mapping_section(data, "policies", problems)
    for code, value in section.items():
        line = _line_of(section, code)
        if code not in types:
            problems.append(Problem(line, f"Unknown credential type {code!r}."))
            continue
        spec = _policy(value, line, problems)
        if spec is not None:
            policies[code] = spec

    role_requirements = _requirements(data, "role_requirements", roles, "job role", types, problems)
    project_requirements = _requirements(data, "project_requirements", projects, "project", types, problems)

    if problems or default is None:
        raise _invalid(sorted(problems, key=lambda p: (p.line or 0, p.message)))
    return PolicySet(default, policies, role_requirements, project_requirements)


def _mapping_section(data, key, problems) -> dict:
    section = data.get(key)
    if section is None:
        return _Map()
    if not isinstance(section, dict):
        problems.append(Problem(_line_of(data, key), f"{key} must be a mapping keyed by code."))
        return _Map()
    return section


def _policy(value, line, problems) -> PolicySpec | None:
    if not isinstance(value, dict):
        problems.append(Problem(line, "A policy must be a mapping of offsets, grace_days, escalation..."))
        return None
    for key in value:
        if key not in POLICY_KEYS:
            problems.append(Problem(_line_of(value, key), f"Unknown policy field {key!r} (expected one of "
                                                          f"{', '.join(POLICY_KEYS)})."))
    values = {
        "offsets": value.get("offsets"),
        "grace_days": value.get("grace_days", 0),
        "escalation": value.get("escalation", []),
        "renewal_lead_days": value.get("renewal_lead_days"),
        "allow_digest": value.get("allow_digest", False),
    }
    errors = policy_errors(**values)
    for name, message in errors.items():
        line = _line_of(value, name) if name in value else getattr(value, "line", line)
        steps = value.get("escalation")
        if name == "escalation" and isinstance(steps, list):
            bad = next((i for i, step in enumerate(steps) if _step_error(step)), None)
            if bad is not None:
                line = _line_of(steps, bad)
        problems.append(Problem(line, message))
    return None if errors else make_policy(values)


def _requirements(data, key, known, noun, types, problems) -> dict[str, list[RequirementSpec]]:
    out: dict[str, list[RequirementSpec]] = {}
    section = _mapping_section(data, key, problems)
    for code, items in section.items():
        line = _line_of(section, code)
        if code not in known:
            problems.append(Problem(line, f"Unknown {noun} {code!r}."))
            continue
        if items is None:
            out[code] = []
            continue
        if not isinstance(items, list):
            problems.append(Problem(line, f"The requirements of {noun} {code!r} must be a list."))
            continue
        seen: set[str] = set()
        specs = []
        for index, item in enumerate(items):
            item_line = _line_of(items, index)
            if isinstance(item, str):
                type_code, lead = item, None
            elif isinstance(item, dict):
                extra = set(item) - {"credential_type", "lead_days"}
                if extra:
                    problems.append(Problem(item_line, f"Unknown requirement field {sorted(extra)[0]!r}."))
                    continue
                type_code, lead = item.get("credential_type"), item.get("lead_days")
            else:
                problems.append(Problem(item_line, "A requirement is a credential type code or "
                                                   "{credential_type: CODE, lead_days: N}."))
                continue
            if type_code not in types:
                problems.append(Problem(item_line, f"Unknown credential type {type_code!r}."))
                continue
            if lead is not None and (not _is_int(lead) or lead < 0 or lead > MAX_DAYS):
                problems.append(Problem(item_line, "lead_days must be zero or more whole days."))
                continue
            if type_code in seen:
                problems.append(Problem(item_line, f"{type_code!r} is listed twice for {noun} {code!r}."))
                continue
            seen.add(type_code)
            specs.append(RequirementSpec(type_code, lead))
        out[code] = specs
    return out
