#!/usr/bin/env python3
"""Evaluates CRD `x-kubernetes-validations` rules with a real CEL implementation (cel-python).

Used by the Swift tests (KubernetesAPITests, CELRuleTests) to check that the CEL in crds/ is valid
CEL and says what it means: they send the rules and the `self` values they apply to on stdin and
read one result per case from stdout.

stdin:  {"cases": [{"rule": "...", "self": <json>}, ...]}
stdout: {"results": [{"value": true|false|null, "error": "..."|null}, ...]}

Needs `pip install cel-python`.
"""

import json
import sys

import celpy


def main() -> int:
    request = json.load(sys.stdin)
    environment = celpy.Environment()
    programs = {}
    results = []
    for case in request["cases"]:
        rule = case["rule"]
        try:
            if rule not in programs:
                programs[rule] = environment.program(environment.compile(rule))
            value = programs[rule].evaluate({"self": celpy.json_to_cel(case["self"])})
            if isinstance(value, celpy.celtypes.BoolType):
                results.append({"value": bool(value), "error": None})
            else:
                results.append({"value": None, "error": f"rule evaluated to {type(value).__name__}, not a bool: {value}"})
        except Exception as error:  # compile errors and evaluation errors alike are results
            results.append({"value": None, "error": f"{type(error).__name__}: {error}"})
    json.dump({"results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
