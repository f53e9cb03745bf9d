"""The compliance rules: one module per rule (``b001_stage_in_boundary.py``), found by name.

:func:`registry` imports every module of this package whose name starts with a
rule code (a letter, three digits, an underscore), checks that it defines
``RULE`` (a :class:`~pcf_dsl.rules.base.Rule`, whose docs are complete or it
would not exist) and one function ``check``, and returns them by code.
A malformed rule module stops the import with :class:`RuleDefinitionError`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

from .base import Clause, Context, Docs, Finding, Param, RegisteredRule, Related, Rule, RuleDefinitionError

__all__ = ["Clause", "Context", "Docs", "Finding", "Param", "RegisteredRule", "Related", "Rule",
           "RuleDefinitionError", "registry", "parameters", "register"]

_MODULE_PATTERN = re.compile(r"^([a-z]\d{3})_[a-z0-9_]+$")


def register(rules: dict[str, RegisteredRule], module) -> None:
    """Add one rule module to `rules`, refusing anything incomplete."""
    name = module.__name__.rpartition(".")[2]
    rule = getattr(module, "RULE", None)
    check = getattr(module, "check", None)
    if not isinstance(rule, Rule):
        raise RuleDefinitionError(f"{module.__name__} defines no RULE = Rule(...)")
    if not callable(check):
        raise RuleDefinitionError(f"{module.__name__} defines no check(ctx) function")
    match = _MODULE_PATTERN.match(name)
    if match and match.group(1).upper() != rule.code:
        raise RuleDefinitionError(f"{module.__name__} is named for {match.group(1).upper()} but defines {rule.code}")
    if rule.code in rules:
        raise RuleDefinitionError(f"{rule.code} is defined twice ({rules[rule.code].module} and {module.__name__})")
    rules[rule.code] = RegisteredRule(rule, check, module.__name__)


@lru_cache(maxsize=1)
def registry() -> dict[str, RegisteredRule]:
    """Every rule, by code, in code order."""
    rules: dict[str, RegisteredRule] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if _MODULE_PATTERN.match(info.name):
            register(rules, importlib.import_module(f"{__name__}.{info.name}"))
    parameters_of(rules)  # refuses conflicting parameter defaults
    return dict(sorted(rules.items()))


def parameters_of(rules: dict[str, RegisteredRule]) -> dict[str, Param]:
    params: dict[str, Param] = {}
    for registered in rules.values():
        for param in registered.rule.params:
            known = params.get(param.key)
            if known is not None and (known.default, known.kind, known.choices, known.bounds, known.pattern) != (
                    param.default, param.kind, param.choices, param.bounds, param.pattern):
                raise RuleDefinitionError(
                    f"parameter {param.key} has two definitions ({known.default!r} {known.kind}, "
                    f"{param.default!r} {param.kind} in {registered.rule.code})")
            params.setdefault(param.key, param)
    return params


def parameters() -> dict[str, Param]:
    """Every parameter a profile may set, with its default, sorted by key."""
    return dict(sorted(parameters_of(registry()).items()))
